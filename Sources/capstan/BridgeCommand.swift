import ArgumentParser
import CapstanGateway
import CapstanGit
import Foundation

struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Connect an app that only starts local stdio servers (Claude Desktop) to the gateway.",
        discussion: """
            Reads newline-delimited JSON-RPC on stdin and writes the gateway's answers and \
            notifications on stdout, nothing else (diagnostics go to stderr). Towards the gateway \
            it is a Streamable HTTP client with the app's token. When the gateway restarts, the \
            bridge opens a new session by itself and the app's next call works; while the gateway \
            is down, a request gets a JSON-RPC error after --retry-time seconds.

            Example (claude_desktop_config.json):
              "mcpServers": {"capstan": {"command": "capstan", "args": ["bridge",
                "--url", "http://127.0.0.1:8750/mcp", "--token-file", "/home/me/.config/capstan/token"]}}
            Or by hand:
              capstan bridge --url http://127.0.0.1:8750/mcp --token-env CAPSTAN_TOKEN
            """
    )

    @Option(help: "The gateway's MCP endpoint, http://<loopback address>:<port>/mcp.")
    var url: String

    @Option(help: "File holding the client's bearer token (surrounding white space is dropped).", completion: .file())
    var tokenFile: String?

    @Option(help: ArgumentHelp("Environment variable holding the client's bearer token.", valueName: "variable"))
    var tokenEnv: String?

    @Option(help: "Seconds a request waits for an unreachable gateway before it gets an error.")
    var retryTime: Double = 10

    func validate() throws {
        guard (tokenFile == nil) != (tokenEnv == nil) else {
            throw ValidationError("give the token with exactly one of --token-file or --token-env")
        }
        guard retryTime > 0, retryTime <= 3600 else { throw ValidationError("--retry-time must be between 0 and 3600 seconds") }
    }

    func run() async throws {
        let token: String
        do {
            if let tokenFile {
                token = try GitCredentials.readSecret(fromFile: tokenFile)
            } else {
                token = try GitCredentials.readSecret(fromEnvironment: tokenEnv ?? "")
            }
        } catch {
            throw CLIError("\(error)")
        }
        let bridge: Bridge
        do throws(BridgeError) {
            bridge = try Bridge(BridgeConfiguration(url: url, token: token, retryTime: .milliseconds(Int(retryTime * 1000))),
                                log: { message in FileHandle.standardError.write(Data("capstan bridge: \(message)\n".utf8)) })
        } catch {
            switch error {
            case .invalidURL(let reason):
                throw ValidationError("--url is not usable: \(reason)")
            case .invalidToken:
                throw CLIError("the token \(tokenFile.map { "in \($0)" } ?? "in $\(tokenEnv ?? "")") is empty or holds characters that cannot go into an HTTP header")
            }
        }
        // A closed stdout is noticed by the write that fails, not by a signal.
        signal(SIGPIPE, SIG_IGN)
        await bridge.run()
    }
}
