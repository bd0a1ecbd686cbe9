import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Real git servers for the remote tests, each a child process listening on 127.0.0.1 only and
/// stopped when the value goes away. Repositories are bare, under the sandbox's `served/`.
enum GitServers {
    /// A TCP port on 127.0.0.1 that nothing listened on a moment ago: bound, read back, released.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerFailed(reason: "socket: \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ServerFailed(reason: "bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// The environment the servers run in: no user or system git configuration.
    static func environment(home: String) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
        ]
    }
}

/// A TCP socket on 127.0.0.1 that listens and never accepts: the kernel completes connections
/// into its backlog and nothing is ever said on them. With `filled`, the backlog (of one) is taken
/// by a connection made here, so that the kernel ignores further attempts to connect.
final class SilentListener {
    let port: Int
    private let descriptor: Int32
    private var occupant: Int32 = -1

    init(filled: Bool = false) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerFailed(reason: "socket: \(errno)") }
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
                    && listen(descriptor, 0) == 0
            }
        }
        guard listening else { throw ServerFailed(reason: "listen: \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        if filled {
            let occupant = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.occupant = occupant
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(occupant, $0, length) == 0 }
            }
            guard connected else { throw ServerFailed(reason: "connect: \(errno)") }
        }
    }

    deinit {
        if occupant >= 0 { close(occupant) }
        close(descriptor)
    }
}

struct ServerFailed: Error, CustomStringConvertible {
    var reason: String
    var description: String { "test server: \(reason)" }
}

/// A child process, terminated and reaped when the last reference goes.
final class ChildProcess {
    let process: Process

    init(_ executable: String, _ arguments: [String], environment: [String: String], stdout: Pipe? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// SIGKILL, because SIGTERM would not do: Foundation's `Process` starts the child with the
    /// signal mask of the spawning thread, and Swift's concurrency threads block SIGTERM, so the
    /// servers never see it. They hold nothing that needs a clean shutdown.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// `git daemon` serving every repository under `sandbox/served` as `git://127.0.0.1:<port>/<name>`.
final class GitDaemon {
    let port: Int
    private let child: ChildProcess

    init(sandbox: Sandbox) throws {
        let base = sandbox.path("served")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        port = try GitServers.freePort()
        // git-daemon itself rather than the `git daemon` wrapper, which runs it as a child: killing
        // the wrapper would leave the daemon serving.
        child = try ChildProcess("/usr/lib/git-core/git-daemon", [
            "--reuseaddr", "--base-path=\(base)", "--export-all",
            "--listen=127.0.0.1", "--port=\(port)", base,
        ], environment: GitServers.environment(home: sandbox.root))
        let deadline = Date().addingTimeInterval(10)
        while !GitServers.isListening(port: port) {
            guard child.process.isRunning, Date() < deadline else {
                throw ServerFailed(reason: "git daemon did not start on port \(port)")
            }
            usleep(20_000)
        }
    }

    func url(_ repository: String) -> String { "git://127.0.0.1:\(port)/\(repository)" }

    func stop() { child.stop() }
}

/// Smart HTTP (`git http-backend` as CGI, run by a small Python server) behind HTTP Basic
/// authentication: every request must carry `user:token`. Each request is logged to
/// `requests.log` as `METHOD path ok|bad|none` by what its Authorization header held.
final class SmartHTTPServer {
    let port: Int
    let logPath: String
    private let child: ChildProcess

    init(sandbox: Sandbox, user: String, token: String) throws {
        let base = sandbox.path("served")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try sandbox.write("http-server/server.py", Self.script)
        logPath = sandbox.path("http-server/requests.log")
        let output = Pipe()
        child = try ChildProcess("/usr/bin/python3", [sandbox.path("http-server/server.py"), base, user, token, logPath],
                                 environment: GitServers.environment(home: sandbox.root), stdout: output)
        // The server binds port 0 and prints the port it got: no race for a free port.
        let line = output.fileHandleForReading.availableLine()
        guard let port = line.flatMap({ Int($0) }) else { throw ServerFailed(reason: "http server printed \(line ?? "nothing")") }
        self.port = port
    }

    func url(_ repository: String) -> String { "http://127.0.0.1:\(port)/\(repository)" }

    /// The logged requests, one `METHOD path auth` a line.
    func requests() -> [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private static let script = #"""
        import base64, os, subprocess, sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        ROOT, USER, TOKEN, LOG = sys.argv[1:5]
        EXPECTED = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.serve()

            def do_POST(self):
                self.serve()

            def body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        chunk = self.rfile.read(size + 2)[:size]
                        if size == 0:
                            return data
                        data += chunk
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def serve(self):
                auth = self.headers.get("Authorization")
                verdict = "ok" if auth == EXPECTED else ("bad" if auth else "none")
                with open(LOG, "a") as log:
                    log.write(f"{self.command} {self.path} {verdict}\n")
                body = self.body()
                if verdict != "ok":
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="capstan-test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                env = {
                    "PATH": os.environ["PATH"], "HOME": os.environ["HOME"],
                    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                    "GIT_PROJECT_ROOT": ROOT, "GIT_HTTP_EXPORT_ALL": "1",
                    "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": USER, "REMOTE_ADDR": "127.0.0.1",
                }
                if self.headers.get("Git-Protocol"):
                    env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status, headers = 200, []
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}

private extension FileHandle {
    /// The first line written to this pipe, read byte by byte so nothing after it is consumed.
    func availableLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            let data = readData(ofLength: 1)
            guard let byte = data.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }
}
