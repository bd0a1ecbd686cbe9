import FuzzerDriver
import Glibc

// The closure, not the @_cdecl function itself: converting that one to a C pointer here would
// emit a second LLVMFuzzerTestOneInput symbol in this file.
exit(capstan_fuzzer_main(CommandLine.argc, CommandLine.unsafeArgv) { jsonrpcFuzz($0, $1) })
