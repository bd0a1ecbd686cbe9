@testable import CapstanDocker
import Testing

@Suite struct StreamParsingTests {
    @Test func linesSplitAcrossChunksAreJoined() {
        var buffer = LineBuffer()
        #expect(buffer.append(Array("{\"a\":".utf8)).isEmpty)
        #expect(buffer.append(Array("1}\n\n{\"b\"".utf8)) == [Array("{\"a\":1}".utf8)])
        #expect(buffer.append(Array(":2}".utf8)).isEmpty)
        #expect(buffer.finish() == Array("{\"b\":2}".utf8))
    }

    @Test func multiplexedLogsAreDemultiplexedInOrder() {
        func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
            let payload = Array(text.utf8)
            let n = UInt32(payload.count)
            return [stream, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
        }
        let bytes = frame(1, "out 1\n") + frame(2, "err\n") + frame(1, "out 2\n")
        #expect(LogDemultiplexer.frames(bytes).map(\.stream) == [1, 2, 1])
        #expect(String(decoding: LogDemultiplexer.combined(bytes), as: UTF8.self) == "out 1\nerr\nout 2\n")
    }

    @Test func buildStreamYieldsLinesTheImageIDAndTheError() {
        var stream = BuildStream()
        var lines = stream.consume(Array(#"{"stream":"Step 1/2 : FROM x\n"}"#.utf8 + [10]))
        lines += stream.consume(Array(#"{"stream":"partial "}"#.utf8 + [10] + #"{"stream":"line\n"}"#.utf8))
        lines += stream.consume([10] + Array(#"{"aux":{"ID":"sha256:abc"}}"#.utf8 + [10]))
        lines += stream.consume(Array(#"{"errorDetail":{"code":3,"message":"boom"},"error":"boom"}"#.utf8 + [13, 10]))
        lines += stream.finish()
        #expect(lines == ["Step 1/2 : FROM x", "partial line", "boom"])
        #expect(stream.imageID == "sha256:abc")
        #expect(stream.error == "boom")
        #expect(stream.tail.last == "boom")
    }

    @Test func buildQueryCarriesMapsAsJSONAndSkipsNoTarget() {
        let query = DockerClient.buildQuery(BuildOptions(tags: ["a:1", "b:2"], buildArgs: ["K": "v"], labels: ["l": "x"]))
        #expect(query.filter { $0.name == "t" }.map(\.value) == ["a:1", "b:2"])
        #expect(query.first { $0.name == "buildargs" }?.value == #"{"K":"v"}"#)
        #expect(query.first { $0.name == "labels" }?.value == #"{"l":"x"}"#)
        #expect(query.first { $0.name == "networkmode" }?.value == "none")
        #expect(!query.contains { $0.name == "target" })
    }

    @Test func queryValuesCannotBreakOutOfTheirParameter() {
        #expect(QueryString.encode([("filters", #"{"label":["a=b&c"]}"#)]) == "filters=%7B%22label%22%3A%5B%22a%3Db%26c%22%5D%7D")
        #expect(QueryString.escapePath("capstan/x:1@sha256:ab") == "capstan/x:1@sha256:ab")
        #expect(QueryString.escapePath("a b?#") == "a%20b%3F%23")
    }
}
