import Foundation
import Synchronization

/// Counters, gauges and histograms in the Prometheus text exposition format. Small on purpose:
/// the controller exports a dozen series, which does not earn a metrics framework.
public final class Metrics: Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    private struct Family {
        var kind: Kind
        var help: String
        var values: [String: Double] = [:]          // rendered labels → value (counter, gauge)
        var histograms: [String: Histogram] = [:]   // rendered labels → histogram
    }

    private struct Histogram {
        var buckets: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0
    }

    public static let durationBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    public func describe(_ name: String, _ kind: Kind, help: String) {
        families.withLock { if $0[name] == nil { $0[name] = Family(kind: kind, help: help) } }
    }

    public func increment(_ name: String, _ labels: [String: String] = [:], by amount: Double = 1) {
        families.withLock { $0[name, default: Family(kind: .counter, help: "")].values[render(labels), default: 0] += amount }
    }

    public func set(_ name: String, _ labels: [String: String] = [:], to value: Double) {
        families.withLock { $0[name, default: Family(kind: .gauge, help: "")].values[render(labels)] = value }
    }

    public func observe(_ name: String, _ labels: [String: String] = [:], _ value: Double) {
        families.withLock { all in
            let key = render(labels)
            var h = all[name, default: Family(kind: .histogram, help: "")].histograms[key]
                ?? Histogram(buckets: Self.durationBuckets, counts: Array(repeating: 0, count: Self.durationBuckets.count))
            for (i, bound) in h.buckets.enumerated() where value <= bound { h.counts[i] += 1 }
            h.sum += value
            h.count += 1
            all[name, default: Family(kind: .histogram, help: "")].histograms[key] = h
        }
    }

    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        families.withLock { $0[name]?.values[render(labels)] }
    }

    /// The text exposition format, version 0.0.4, families in name order.
    public func render() -> String {
        families.withLock { all in
            var out = ""
            for (name, family) in all.sorted(by: { $0.key < $1.key }) {
                if !family.help.isEmpty { out += "# HELP \(name) \(family.help)\n" }
                out += "# TYPE \(name) \(family.kind.rawValue)\n"
                for (labels, value) in family.values.sorted(by: { $0.key < $1.key }) {
                    out += "\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(format(value))\n"
                }
                for (labels, h) in family.histograms.sorted(by: { $0.key < $1.key }) {
                    let prefix = labels.isEmpty ? "" : labels + ","
                    for (bound, count) in zip(h.buckets, h.counts) {
                        out += "\(name)_bucket{\(prefix)le=\"\(format(bound))\"} \(count)\n"
                    }
                    out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(h.count)\n"
                    out += "\(name)_sum\(labels.isEmpty ? "" : "{\(labels)}") \(format(h.sum))\n"
                    out += "\(name)_count\(labels.isEmpty ? "" : "{\(labels)}") \(h.count)\n"
                }
            }
            return out
        }
    }

    private func render(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }.joined(separator: ",")
    }

    private func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}
