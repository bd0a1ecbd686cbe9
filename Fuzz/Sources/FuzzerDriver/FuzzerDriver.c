#include "FuzzerDriver.h"

// SwiftPM gives every executable a Swift entry point (renamed and aliased to `main` on Linux),
// so libFuzzer's own main() is never linked; its documented driver entry is called instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int capstan_fuzzer_main(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(&argc, &argv, test_one_input);
}
