import Foundation

/// Reads the build endpoint's JSON lines (`{"stream": …}`, `{"aux": {"ID": …}}`,
/// `{"error": …}`) as chunks arrive and turns them into log lines, the image ID and the error.
struct BuildStream: Sendable {
    private(set) var imageID: String?
    private(set) var error: String?
    /// The last lines of output, for `.buildFailed`.
    private(set) var tail: [String] = []

    static let tailLength = 20

    private var json = LineBuffer()
    /// `stream` texts split lines anywhere (a RUN step's output arrives as written).
    private var text = LineBuffer()

    private struct Message: Decodable {
        struct Aux: Decodable { var ID: String? }
        var stream: String?
        var status: String?
        var aux: Aux?
        var error: String?
    }

    /// The log lines completed by `chunk`.
    mutating func consume(_ chunk: [UInt8]) -> [String] {
        var lines: [String] = []
        for raw in json.append(chunk) { lines += handle(raw) }
        return lines
    }

    /// The log lines still pending when the response ends.
    mutating func finish() -> [String] {
        var lines = json.finish().map { handle($0) } ?? []
        if let last = text.finish() { lines.append(record(last)) }
        return lines
    }

    private mutating func handle(_ raw: [UInt8]) -> [String] {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(raw)) else {
            // Not a message this client knows: still output worth showing.
            return emit(String(decoding: raw, as: UTF8.self) + "\n")
        }
        if let id = message.aux?.ID { imageID = id }
        if let error = message.error {
            self.error = error
            return emit(error + "\n")
        }
        return emit((message.stream ?? "") + (message.status.map { $0 + "\n" } ?? ""))
    }

    private mutating func emit(_ output: String) -> [String] {
        text.append(Array(output.utf8)).map { record($0) }
    }

    private mutating func record(_ line: [UInt8]) -> String {
        let string = String(decoding: line, as: UTF8.self)
        tail.append(string)
        if tail.count > Self.tailLength { tail.removeFirst() }
        return string
    }
}
