import Foundation
import Glibc

/// Where the CPU time of a load run went, from /proc: groups of processes (and of this
/// process's threads, by name) sampled before and after, and the whole machine's busy time. On
/// a shared 2-core machine calls per second move with whatever else runs; CPU time per call
/// does not, and says what the gateway itself costs.
struct CPUAccount {
    /// Group name → pids whose whole-process time counts (children are not included).
    var processes: [(String, [Int32])]
    /// Group name → a predicate on this process's thread names.
    var threads: [(String, @Sendable (String) -> Bool)]

    struct Sample {
        var groups: [String: Double]
        /// Context switches (voluntary and not) of the first thread group: wake-ups per call.
        var switches: Int
        var machineBusy: Double
    }

    func sample() -> Sample {
        var groups: [String: Double] = [:]
        for (name, pids) in processes {
            groups[name, default: 0] += pids.compactMap { procStat("/proc/\($0)/stat")?.seconds }.reduce(0, +)
        }
        var switches = 0
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            guard let stat = procStat("/proc/self/task/\(task)/stat") else { continue }
            for (name, matches) in threads where matches(stat.comm) { groups[name, default: 0] += stat.seconds }
            if let first = threads.first, first.1(stat.comm) { switches += contextSwitches("/proc/self/task/\(task)/status") }
        }
        return Sample(groups: groups, switches: switches, machineBusy: machineBusySeconds())
    }

    /// CPU microseconds per call of each group between two samples, in the order given, and the
    /// share of the machine's busy time they account for.
    func report(from before: Sample, to after: Sample, calls: Int, wall: Double) -> String {
        let names = processes.map(\.0) + threads.map(\.0)
        var total = 0.0
        var parts: [String] = []
        for name in names {
            let seconds = (after.groups[name] ?? 0) - (before.groups[name] ?? 0)
            total += seconds
            parts.append(String(format: "%@ %.0f", name, seconds / Double(calls) * 1e6))
        }
        let busy = after.machineBusy - before.machineBusy
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        var text = String(format: "  CPU µs per call: %@; sum %.0f µs -> at most %.0f calls/s on %.0f cores if nothing else ran\n"
                          + "  machine busy %.0f%% of %.0f cores during the run; the groups above account for %.0f%% of it",
                          parts.joined(separator: ", "), total / Double(calls) * 1e6, cores / (total / Double(calls)), cores,
                          busy / wall / cores * 100, cores, busy > 0 ? total / busy * 100 : 0)
        if let first = threads.first {
            text += String(format: "\n  context switches of %@ threads: %.1f per call", first.0, Double(after.switches - before.switches) / Double(calls))
        }
        return text
    }
}

/// `comm` and utime+stime in seconds of a /proc stat file.
func procStat(_ path: String) -> (comm: String, parent: Int32, seconds: Double)? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
          let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
    let comm = String(text[text.index(after: open)..<close])
    // After ") ": state(3) ppid(4) … utime(14) stime(15), numbered from the pid as field 1.
    let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
    guard fields.count > 12, let parent = Int32(fields[1]), let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (comm, parent, (user + system) / Double(sysconf(Int32(_SC_CLK_TCK))))
}

/// voluntary + nonvoluntary context switches from a /proc status file.
func contextSwitches(_ path: String) -> Int {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
    return text.split(separator: "\n").filter { $0.contains("ctxt_switches:") }
        .compactMap { Int($0.split(separator: "\t").last ?? "") }.reduce(0, +)
}

/// The processes whose parent is `pid`.
func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let child = Int32(entry), procStat("/proc/\(entry)/stat")?.parent == pid else { return nil }
        return child
    }
}

/// Every process whose command name is `comm`.
func processes(named comm: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let pid = Int32(entry), procStat("/proc/\(entry)/stat")?.comm == comm else { return nil }
        return pid
    }
}

/// Busy seconds of all cores together since boot (everything but idle and iowait).
func machineBusySeconds() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
          let line = text.split(separator: "\n").first else { return 0 }
    let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard values.count >= 5 else { return 0 }
    return (values.reduce(0, +) - values[3] - values[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
