import Foundation

/// Reads the engine's RFC 3339 times (`2024-05-07T21:09:36.123456789Z`, or with an offset).
/// Nanosecond fractions are beyond ISO8601DateFormatter, so the fraction is handled here.
/// Go's zero time (`0001-01-01T00:00:00Z`, "never started") reads as nil.
enum DockerTimestamp {
    static func parse(_ text: String) -> Date? {
        guard !text.hasPrefix("0001-01-01") else { return nil }
        var base = Substring(text)
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let digitsEnd = text[dot...].dropFirst().firstIndex { !$0.isNumber } ?? text.endIndex
            fraction = Double("0" + text[dot..<digitsEnd]) ?? 0
            base = text[..<dot] + text[digitsEnd...]
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: String(base)).map { $0.addingTimeInterval(fraction) }
    }
}
