@testable import CapstanGateway

/// An MCP server's `text/event-stream` body as the HTTP backend decodes it. The first byte sets
/// the size of the pieces the rest arrives in (1–256 bytes, as `recv` may split it anywhere);
/// the events must be the same as when the whole stream arrives at once, and each event's data
/// goes through the gateway's message decoding.
@_cdecl("LLVMFuzzerTestOneInput")
public func sseFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard size > 0, let data else { return 0 }
    let piece = Int(data[0]) + 1
    let stream = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let whole = events(stream, piece: stream.count)
    let pieces = events(stream, piece: piece)
    guard whole == pieces else { fatalError("events depend on how the stream is split (pieces of \(piece))") }
    for event in whole.data {
        if event.contains(13) { fatalError("a CR is a line end, never part of an event's data") }
        for message in BackendMessages.decode(event) ?? [] { _ = BackendMessages.classify(message) }
    }
    return 0
}

private struct Events: Equatable {
    var data: [[UInt8]] = []
    var tooLong = false
}

private func events(_ stream: UnsafeRawBufferPointer, piece: Int) -> Events {
    var decoder = SSEDecoder()
    var out = Events()
    var start = 0
    repeat {
        let end = min(start + max(piece, 1), stream.count)
        do throws(SSEDecoder.TooLong) {
            try decoder.feed(UnsafeRawBufferPointer(rebasing: stream[start..<end])) { out.data.append($0) }
        } catch {
            out.tooLong = true
            return out
        }
        start = end
    } while start < stream.count
    return out
}
