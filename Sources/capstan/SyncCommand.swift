import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Ask a running controller to sync now.",
        discussion: """
            Queues a sync on the controller (it fetches, validates, plans and applies as for a \
            poll). With --server, also clears that server's crash-loop mark so it is started again.

            Examples:
              capstan sync --admin-token-file /etc/capstan/admin-token
              capstan sync --server weather --controller http://127.0.0.1:7070
            """
    )

    @Option(help: "The controller's HTTP API.")
    var controller = "http://127.0.0.1:7070"

    @Option(help: "A server whose crash-loop mark to clear.")
    var server: String?

    @Option(help: "File holding the admin token (or set CAPSTAN_ADMIN_TOKEN).")
    var adminTokenFile: String?

    func run() async throws {
        guard let token = try readSecret(file: adminTokenFile, env: "CAPSTAN_ADMIN_TOKEN") else { throw CLIError("no admin token: pass --admin-token-file or set CAPSTAN_ADMIN_TOKEN") }
        guard let url = URL(string: controller + "/api/v1/sync") else { throw CLIError("\(controller) is not a URL") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: server.map { ["server": $0] } ?? [:])
        let response: URLResponse
        do {
            (_, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CLIError("cannot reach the controller at \(controller): \(error.localizedDescription); is `capstan controller` running, and is --controller its --listen address?")
        }
        let code = (response as? HTTPURLResponse)?.statusCode ?? 0
        switch code {
        case 200..<300: print("Sync queued\(server.map { " (crash-loop mark of \($0) cleared)" } ?? "").")
        case 401: throw CLIError("the controller refused the admin token")
        default: throw CLIError("the controller answered HTTP \(code)")
        }
    }
}
