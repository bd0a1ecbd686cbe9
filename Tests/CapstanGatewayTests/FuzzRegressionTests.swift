@testable import CapstanGateway
import Foundation
import HTTPTypes
import Testing

/// Replays the gateway fuzz targets' seeds and every input they ever crashed on
/// (Fuzz/Corpus/<target>, Fuzz/Regressions/<target>) through the same calls and checks as
/// Fuzz/Sources/<target>, without sanitizers, so a fixed crash stays fixed in `make test`.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func inputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        ["Fuzz/Corpus/", "Fuzz/Regressions/"].flatMap { folder -> [(name: String, bytes: [UInt8])] in
            let directory = root.appendingPathComponent(folder + target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
                (try? Data(contentsOf: directory.appendingPathComponent(name))).map { (folder + target + "/" + name, Array($0)) }
            }
        }
    }

    @Test func jsonrpcInputsRoundTrip() throws {
        let inputs = Self.inputs("jsonrpc")
        #expect(inputs.count >= 20, "the seed corpus is missing")
        for (name, bytes) in inputs {
            guard let value = try? JSONParser.parse(bytes) else { continue }
            #expect(try JSONParser.parse(value.bytes) == value, "\(name)")
            #expect((try? JSONParser.parse(value.canonicalBytes)) != nil, "\(name)")
            for item in value.arrayValue ?? [value] {
                guard let message = try? JSONRPCMessage(item) else { continue }
                #expect(try JSONRPCMessage(message.json) == message, "\(name)")
                _ = BackendMessages.classify(message)
            }
            _ = BackendMessages.decode(bytes)
        }
    }

    @Test func mcpHeaderInputsPassOnlyWhenHeadersMirrorTheBody() {
        let inputs = Self.inputs("mcp-headers")
        #expect(inputs.count >= 10, "the seed corpus is missing")
        var passed = 0
        for (name, bytes) in inputs {
            let (headers, body) = Self.request(bytes)
            _ = RequestChecks.originAllowed(headers[.origin], allowed: ["https://app.example"])
            _ = RequestChecks.accepts(headers[.accept], "application/json")
            _ = RequestChecks.isJSON(headers[.contentType])
            guard let value = try? JSONParser.parse(body), let message = try? JSONRPCMessage(value),
                  case .request(let id, let method, let params) = message else { continue }
            let named = params?["name"]?.stringValue ?? params?["uri"]?.stringValue
            if let named {
                #expect(StatelessExchange.decodeHeaderValue("=?base64?" + Data(named.utf8).base64EncodedString() + "?=") == named, "\(name)")
            }
            guard StatelessExchange.check(id: id, method: method, params: params, headers: headers) == nil else { continue }
            passed += 1
            #expect(headers[.mcpMethod] == method, "\(name)")
            if ["tools/call", "prompts/get", "resources/read"].contains(method), let named {
                #expect(headers[.mcpName].flatMap(StatelessExchange.decodeHeaderValue) == named, "\(name)")
            }
        }
        #expect(passed >= 3, "the seeds' well-formed 2026-07-28 requests must pass the checks")
    }

    @Test func backendHTTPInputsReadTheSameHoweverTheyAreSplit() {
        let inputs = Self.inputs("backend-http")
        #expect(inputs.count >= 5, "the seed corpus is missing")
        var messages = 0
        for (name, bytes) in inputs where !bytes.isEmpty {
            let stream = Array(bytes.dropFirst())
            let whole = Self.readResponses(stream, piece: max(stream.count, 1))
            #expect(whole == Self.readResponses(stream, piece: Int(bytes[0]) + 1), "\(name)")
            #expect(whole == Self.readResponses(stream, piece: 1), "\(name)")
            messages += whole.messages.count
        }
        #expect(messages > 0)
    }

    @Test func sseInputsDecodeTheSameHoweverTheyAreSplit() {
        let inputs = Self.inputs("sse")
        #expect(inputs.count >= 5, "the seed corpus is missing")
        for (name, bytes) in inputs where !bytes.isEmpty {
            let stream = Array(bytes.dropFirst())
            let whole = Self.events(stream, piece: max(stream.count, 1))
            #expect(whole == Self.events(stream, piece: Int(bytes[0]) + 1), "\(name)")
            #expect(whole == Self.events(stream, piece: 1), "\(name)")
            for event in whole ?? [] {
                #expect(!event.contains(13), "\(name)")
                for message in BackendMessages.decode(event) ?? [] { _ = BackendMessages.classify(message) }
            }
        }
    }

    /// The regression the jsonrpc target found first: an error whose request id is unknown
    /// (`"id": null`, as the gateway writes its own refusals) was not a message at all, so the
    /// bridge lost the reason of every refusal.
    @Test func errorWithNullIDIsAMessageAndRoundTrips() throws {
        let text = #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}"#
        let message = try JSONRPCMessage(JSONParser.parse(text))
        #expect(message == .error(id: nil, error: JSONRPCErrorObject(code: -32600, message: "Session not found")))
        #expect(message.json.text == text)
        #expect(BackendMessages.decode(Array(text.utf8)) == [message])
        // Null stays refused as the id of anything else.
        #expect(throws: JSONRPCErrorObject.self) { try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#)) }
        #expect(throws: JSONRPCErrorObject.self) { try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","id":null,"result":{}}"#)) }
    }

    /// A body as large as the gateway accepts (4 MiB) made of distinct member names parses in
    /// linear time; the duplicate check used to scan every earlier name (minutes of CPU).
    @Test func largeObjectsParseInLinearTime() throws {
        var text = "{"
        for i in 0..<300_000 { text += (i == 0 ? "" : ",") + "\"k\(i)\":0" }
        text += "}"
        #expect(text.utf8.count > 3 << 20)
        let start = ContinuousClock.now
        let value = try JSONParser.parse(text)
        #expect(value.objectValue?.members.count == 300_000)
        #expect(ContinuousClock.now - start < .seconds(10))
        // A duplicate is still found, however late in a large object.
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(text.dropLast()) + ",\"k17\":1}") }
    }

    // MARK: The fuzz targets' steps

    /// As Fuzz/Sources/mcp-headers: header lines up to the first blank line, then the body.
    static func request(_ bytes: [UInt8]) -> (HTTPFields, ArraySlice<UInt8>) {
        var fields = HTTPFields()
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
            var line = bytes[start..<end]
            if line.last == 13 { line = line.dropLast() }
            start = min(end + 1, bytes.count)
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
                  let name = HTTPField.Name(String(decoding: line[..<colon], as: UTF8.self)) else { continue }
            let value = line[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
            fields.append(HTTPField(name: name, value: String(decoding: value, as: UTF8.self)))
        }
        return (fields, bytes[start...])
    }

    struct Responses: Equatable {
        var steps: [String] = []
        var body: [UInt8] = []
        var messages: [JSONRPCMessage] = []
    }

    /// As Fuzz/Sources/backend-http: the HTTP backend's parser and body reader, fed in pieces.
    static func readResponses(_ stream: [UInt8], piece: Int) -> Responses {
        var parser = HTTPResponseParser()
        var body = MessageBody(contentType: nil)
        var out = Responses()
        func handle(_ event: HTTPResponseParser.Event) {
            switch event {
            case .head(let head):
                out.steps.append("head \(head.status) \(head.headers.map { $0.name + ": " + $0.value })")
                body = MessageBody(contentType: head.header("content-type"))
            case .body(let bytes):
                out.body += bytes
                body.feed(bytes) { out.messages.append($0) }
            case .end:
                out.steps.append("end after \(out.body.count) body bytes")
                body.finish { out.messages.append($0) }
                body = MessageBody(contentType: nil)
            }
        }
        stream.withUnsafeBytes { all in
            do throws(HTTPResponseParser.Malformed) {
                var start = 0
                while start < all.count {
                    let end = min(start + piece, all.count)
                    try parser.feed(UnsafeRawBufferPointer(rebasing: all[start..<end]), emit: handle)
                    start = end
                }
                try parser.finish(emit: handle)
            } catch {
                out.steps.append("malformed: \(error.reason)")
            }
        }
        return out
    }

    /// As Fuzz/Sources/sse: the events' data, or nil when the decoder refused the stream.
    static func events(_ stream: [UInt8], piece: Int) -> [[UInt8]]? {
        var decoder = SSEDecoder()
        var events: [[UInt8]] = []
        return stream.withUnsafeBytes { all -> [[UInt8]]? in
            var start = 0
            while start < all.count {
                let end = min(start + piece, all.count)
                do throws(SSEDecoder.TooLong) {
                    try decoder.feed(UnsafeRawBufferPointer(rebasing: all[start..<end])) { events.append($0) }
                } catch {
                    return nil
                }
                start = end
            }
            return events
        }
    }
}
