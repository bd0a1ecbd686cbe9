#ifndef CAPSTAN_FUZZER_DRIVER_H
#define CAPSTAN_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the process's arguments on one LLVMFuzzerTestOneInput-shaped function.
int capstan_fuzzer_main(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
