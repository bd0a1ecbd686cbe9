@testable import CapstanDocker
import Foundation
import Synchronization
import Testing

/// The attach stream against the real engine: stdin in, demultiplexed lines out, and the end
/// of the stream noticed the moment the container goes, not at the next write.
@Suite struct AttachTests {
    /// Upper-cases stdin lines to stdout and reports each on stderr.
    static let echo = """
        import sys
        for line in sys.stdin:
            print(line.strip().upper(), flush=True)
            print("saw " + line.strip(), file=sys.stderr, flush=True)
        """

    /// What a stream's handlers saw, as a sequence a test can wait on.
    final class Recorder: Sendable {
        enum Event: Sendable, Equatable {
            case line(AttachOutput, String)
            case end(DockerError?)
        }

        let events: AsyncStream<Event>
        private let continuation: AsyncStream<Event>.Continuation

        init() { (events, continuation) = AsyncStream.makeStream() }

        func start(_ stream: AttachedStream) {
            let continuation = continuation
            stream.start(line: { output, bytes in continuation.yield(.line(output, String(decoding: bytes, as: UTF8.self))) },
                         end: { error in
                             continuation.yield(.end(error))
                             continuation.finish()
                         })
        }

        /// The next `count` events, failing after `limit`.
        func next(_ count: Int, within limit: Duration = .seconds(10)) async throws -> [Event] {
            let events = events
            return try await CapstanDockerTests.within(limit) {
                var collected: [Event] = []
                for await event in events {
                    collected.append(event)
                    if collected.count == count { break }
                }
                return collected
            }
        }
    }

    static func interactive(_ fx: EngineFixture, _ cmd: [String]) -> ContainerSpec {
        var spec = fx.spec(cmd)
        spec.openStdin = true
        spec.stdinOnce = false
        return spec
    }

    @Test func decoderSplitsFramesAndLinesAcrossAnyChunkBoundary() throws {
        func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
            let payload = Array(text.utf8)
            let n = UInt32(payload.count)
            return [stream, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
        }
        let bytes = frame(1, "{\"a\":1}\n{\"b\"") + frame(2, "warn") + frame(1, ":2}\n") + frame(2, "ing\n") + frame(1, "") + frame(1, "\ntail")
        // A line is delivered when its newline arrives, so stdout's second line overtakes stderr's.
        let expected: [(AttachOutput, String)] = [(.stdout, "{\"a\":1}"), (.stdout, "{\"b\":2}"), (.stderr, "warning"), (.stdout, "tail")]
        // Every split of the same bytes into two chunks gives the same lines.
        for cut in 0...bytes.count {
            var decoder = AttachDecoder(multiplexed: true)
            var lines: [(AttachOutput, String)] = []
            let emit: (AttachOutput, [UInt8]) -> Void = { lines.append(($0, String(decoding: $1, as: UTF8.self))) }
            try bytes[..<cut].withUnsafeBytes { try decoder.feed($0, emit: emit) }
            try bytes[cut...].withUnsafeBytes { try decoder.feed($0, emit: emit) }
            decoder.finish(emit: emit)
            #expect(lines.map(\.0) == expected.map(\.0), "cut at \(cut)")
            #expect(lines.map(\.1) == expected.map(\.1), "cut at \(cut)")
        }
        // With a TTY there are no frames: the header bytes are just text.
        var raw = AttachDecoder(multiplexed: false)
        var rawLines: [String] = []
        try Array("one\r\ntwo\n".utf8).withUnsafeBytes { try raw.feed($0) { rawLines.append(String(decoding: $1, as: UTF8.self)) } }
        #expect(rawLines == ["one\r", "two"])
    }

    @Test func handshakeAnswersAreParsed() {
        let head = AttachHandshake.parseHead(ArraySlice("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nUpgrade: tcp".utf8))
        #expect(head == AttachHandshake.Head(status: 101, headers: ["content-type": "application/vnd.docker.multiplexed-stream", "upgrade": "tcp"]))
        #expect(AttachHandshake.endOfHead(Array("HTTP/1.1 200 OK\r\n\r\nrest".utf8)) == 15)
        #expect(AttachHandshake.parseHead(ArraySlice("SSH-2.0-OpenSSH".utf8)) == nil)
    }

    @Test func stdinGoesInAndStdoutAndStderrComeBackAsSeparateLines() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("echo"), spec: Self.interactive(fx, ["python", "-u", "-c", Self.echo]))
            try await fx.client.startContainer(id)
            let stream = try await fx.client.attach(id)
            #expect(stream.endpoint.hasSuffix("/containers/\(id)/attach"))
            let recorder = Recorder()
            recorder.start(stream)
            try stream.write(Array("hello\nwor".utf8))
            try stream.write(Array("ld\n".utf8))
            let events = try await recorder.next(4)
            #expect(events.filter { if case .line(.stdout, _) = $0 { true } else { false } } == [.line(.stdout, "HELLO"), .line(.stdout, "WORLD")])
            #expect(events.filter { if case .line(.stderr, _) = $0 { true } else { false } } == [.line(.stderr, "saw hello"), .line(.stderr, "saw world")])
            stream.close()
            #expect(try await recorder.next(1) == [.end(nil)])
            #expect(throws: DockerError.streamClosed(endpoint: stream.endpoint)) { try stream.write(Array("late\n".utf8)) }
        }
    }

    @Test func theEndOfTheContainerIsNoticedAtOnceWithoutWriting() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("victim"), spec: Self.interactive(fx, ["python", "-u", "-c", Self.echo]))
            try await fx.client.startContainer(id)
            let stream = try await fx.client.attach(id)
            let recorder = Recorder()
            recorder.start(stream)
            try stream.write(Array("ping\n".utf8))
            _ = try await recorder.next(2)
            // Timed from the engine's answer: it answers a kill once the container has exited, so the
            // figure is how long the end takes to reach us, not how long a loaded engine takes to kill.
            let clock = ContinuousClock()
            try await fx.client.killContainer(id)
            let killed = clock.now
            #expect(try await recorder.next(1, within: .seconds(5)) == [.end(nil)])
            #expect(clock.now - killed < .seconds(1))
        }
    }

    @Test func closingKeepsTheContainerAndItsStdinForTheNextAttach() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("reattach"), spec: Self.interactive(fx, ["python", "-u", "-c", Self.echo]))
            try await fx.client.startContainer(id)
            for round in 1...2 {
                let stream = try await fx.client.attach(id)
                let recorder = Recorder()
                recorder.start(stream)
                try stream.write(Array("round \(round)\n".utf8))
                #expect(try await recorder.next(2).contains(.line(.stdout, "ROUND \(round)")))
                stream.close()
                #expect(try await recorder.next(1) == [.end(nil)])
            }
            #expect(try await fx.client.inspectContainer(id)?.state.running == true)
        }
    }

    @Test func concurrentWritersNeverInterleaveTheirLines() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("writers"), spec: Self.interactive(fx, ["python", "-u", "-c", Self.echo]))
            try await fx.client.startContainer(id)
            let stream = try await fx.client.attach(id)
            let recorder = Recorder()
            recorder.start(stream)
            let writers = 16, perWriter = 50
            // Long lines, so that sends really overlap and get queued behind each other.
            let filler = String(repeating: "x", count: 2000)
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for n in 0..<perWriter { try? stream.write(Array("w\(writer)-\(n)-\(filler)\n".utf8)) }
                    }
                }
            }
            let lines = try await recorder.next(writers * perWriter * 2, within: .seconds(30)).compactMap { event -> String? in
                if case .line(.stdout, let text) = event { return text }
                return nil
            }
            #expect(lines.count == writers * perWriter)
            let upperFiller = filler.uppercased()
            #expect(lines.allSatisfy { $0.hasPrefix("W") && $0.hasSuffix("-" + upperFiller) && $0.count < 2000 + 12 })
            #expect(Set(lines).count == writers * perWriter)
            stream.close()
        }
    }

    @Test func attachingToAMissingContainerIsNotFound() async throws {
        try await EngineFixture.run { fx in
            await #expect {
                _ = try await fx.client.attach(fx.name("missing"))
            } throws: { error in
                guard case .notFound(let endpoint, _) = error as? DockerError else { return false }
                return endpoint.hasSuffix("/attach")
            }
        }
    }
}
