// Benchmarks, measured and printed rather than asserted (docs/benchmarks.md).
//   capstan-bench validate [--manifests N] [--runs R] [--keep DIR]
//   capstan-bench plan     [--servers N] [--runs R]
//   capstan-bench engine   [--servers N] [--concurrency C]      (needs DOCKER_HOST and a release capstan)
//   capstan-bench gateway  [--seconds N] [--clients 16] [--servers 1] [--calls N] [--proxy PATH] [--capstan PATH] [--listeners 100]
import Foundation

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func report(_ what: String, _ timings: [Double]) {
    let sorted = timings.sorted()
    let ms = { (s: Double) in String(format: "%.1f ms", s * 1000) }
    print("\(what) (\(ProcessInfo.processInfo.activeProcessorCount) cores): median \(ms(sorted[sorted.count / 2])), "
          + "min \(ms(sorted.first!)), max \(ms(sorted.last!)) over \(sorted.count) runs")
}

func option(_ name: String, _ args: [String], default value: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let n = Int(args[i + 1]) else { return value }
    return n
}

let args = Array(CommandLine.arguments.dropFirst())
do {
    switch args.first ?? "validate" {
    case "validate":
        let keep = args.firstIndex(of: "--keep").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
        try validateBenchmark(manifests: option("--manifests", args, default: 10_000), runs: option("--runs", args, default: 7), keep: keep)
    case "plan":
        planBenchmark(servers: option("--servers", args, default: 1_000), runs: option("--runs", args, default: 21))
    case "engine":
        try await engineBenchmark(servers: option("--servers", args, default: 50), concurrency: option("--concurrency", args, default: 4))
    case "gateway":
        try await gatewayBenchmark(args)
    default:
        throw BenchError("unknown benchmark \(args[0]); one of: validate, plan, engine, gateway")
    }
} catch {
    FileHandle.standardError.write(Data("capstan-bench: \(error)\n".utf8))
    exit(1)
}
