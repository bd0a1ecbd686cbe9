import ArgumentParser
import CapstanCore
import CapstanDocker
import CapstanGateway
import CapstanGit
import CapstanReconciler
import Foundation

/// Where the manifests come from: a working directory, or a git repository at a ref.
struct SourceOptions: ParsableArguments {
    @Argument(help: "A manifest repository directory (default: the current directory).", completion: .directory)
    var directory: String?

    @Option(help: "Read a git repository (a path or a URL) instead of a directory, at --ref, without a checkout.")
    var repo: String?

    @Option(help: "The branch, tag or commit of --repo.")
    var ref: String = "HEAD"

    func validate() throws {
        if repo != nil && directory != nil {
            throw ValidationError("give either a directory or --repo, not both")
        }
    }

    func open(stateDirectory: String) throws -> ManifestSource {
        guard let repo else {
            let dir = directory ?? "."
            return ManifestSource(tree: DirectoryTree(root: dir), revision: "workdir",
                                  description: PlanSource(kind: .directory, location: dir))
        }
        do {
            let repository: GitRepository
            if FileManager.default.fileExists(atPath: repo) {
                repository = try GitRepository.open(path: repo)
            } else {
                repository = try GitRepository.cloneOrOpen(url: repo, into: stateDirectory + "/repos/" + sha256Hex(Array(repo.utf8)).prefix(16))
            }
            let commit = try repository.resolve(ref: ref)
            let tree = try repository.tree(at: commit)
            return ManifestSource(tree: tree, revision: commit.description,
                                  description: PlanSource(kind: .git, location: RepositoryURL.redacted(repo), ref: ref))
        } catch {
            throw CLIError("cannot read \(RepositoryURL.redacted(repo)) at \(ref): \(error)")
        }
    }
}

/// The engine, the state directory (audit store, keys, repository mirrors) and the secrets.
struct EngineOptions: ParsableArguments {
    @Option(help: "Override the instance name of capstan.yaml (scopes which containers this repository owns).")
    var instance: String?

    @Option(help: "State directory: audit store, keys and repository mirrors (default: $CAPSTAN_STATE_DIR or ~/.local/state/capstan).")
    var stateDir: String?

    @Option(help: "Directory with one file per secret, named for the secret (as Docker and Kubernetes mount them).")
    var secretsDir: String?

    @Option(help: """
        The gateway whose routes to plan and write: unix:PATH, http://127.0.0.1:PORT (with \
        --gateway-admin-token-file) or none. Default: the state directory's gateway.sock when a \
        controller or `capstan gateway` runs there, else none.
        """)
    var gatewayAdmin: String?

    @Option(help: "File holding the admin token of an http:// --gateway-admin (or set CAPSTAN_GATEWAY_ADMIN_TOKEN).")
    var gatewayAdminTokenFile: String?

    func validate() throws {
        if let instance, let problem = dnsLabelProblem(instance) {
            throw ValidationError("--instance \"\(instance)\" is not valid: \(problem)")
        }
    }

    var stateDirectory: String {
        if let stateDir { return stateDir }
        let env = ProcessInfo.processInfo.environment
        if let dir = env["CAPSTAN_STATE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/capstan" }
        return NSHomeDirectory() + "/.local/state/capstan"
    }

    func pipeline() throws -> (PlanPipeline, DockerEngine, SecretStore) {
        let client: DockerClient
        do {
            client = try DockerClient(host: nil)
        } catch {
            throw CLIError("cannot use the Docker engine: \(error)")
        }
        let engine = DockerEngine(client: client)
        let secrets = try SecretStore(directory: secretsDir, stateDirectory: stateDirectory)
        return (PlanPipeline(engine: engine, secrets: secrets, instance: instance, routes: try routeStore()), engine, secrets)
    }

    /// The admin API of the gateway to plan routes against, or nil for none.
    func routeStore() throws -> GatewayAdminClient? {
        let socket = GatewayRuntime.adminSocket(stateDirectory: stateDirectory)
        switch gatewayAdmin {
        case nil:
            // A socket file left by a stopped gateway means no gateway, not an error.
            return GatewayAdminClient.isListening(socket: socket) ? GatewayAdminClient(endpoint: .unixSocket(path: socket)) : nil
        case "none"?:
            return nil
        case let value? where value.hasPrefix("unix:"):
            return GatewayAdminClient(endpoint: .unixSocket(path: String(value.dropFirst("unix:".count))))
        case let value? where value.hasPrefix("http://"):
            guard let url = URL(string: value), let host = url.host, let port = url.port, LoopbackAddress.isLoopback(host) else {
                throw ValidationError("--gateway-admin \"\(value)\" must be http://<loopback address>:<port>")
            }
            guard let token = try readSecret(file: gatewayAdminTokenFile, env: "CAPSTAN_GATEWAY_ADMIN_TOKEN") else {
                throw ValidationError("--gateway-admin \(value) needs --gateway-admin-token-file or CAPSTAN_GATEWAY_ADMIN_TOKEN")
            }
            return GatewayAdminClient(endpoint: .loopback(host: host, port: port, token: token))
        case let value?:
            throw ValidationError("--gateway-admin \"\(value)\" is not unix:PATH, http://HOST:PORT or none")
        }
    }
}

/// A secret from a file (surrounding white space dropped) or an environment variable, never
/// from the command line; nil when neither is given. Errors name the file, never its content.
func readSecret(file: String?, env: String) throws -> String? {
    if let file {
        do {
            return try GitCredentials.readSecret(fromFile: file)
        } catch {
            throw CLIError("\(error)")
        }
    }
    return ProcessInfo.processInfo.environment[env].flatMap { $0.isEmpty ? nil : $0 }
}

/// `500ms`, `30s`, `5m`, `2h`, `7d` or plain seconds → seconds; nil for anything else.
func durationSeconds(_ text: String) -> Double? {
    let units: [(suffix: String, factor: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
    for unit in units where text.hasSuffix(unit.suffix) {
        guard let n = Double(text.dropLast(unit.suffix.count)), n >= 0, n.isFinite else { return nil }
        return n * unit.factor
    }
    return Double(text).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension PlanPipeline {
    /// Plans from `source`; when that is not possible (an invalid repository, a missing secret,
    /// no engine) prints why and exits 1.
    func prepare(_ source: SourceOptions, stateDirectory: String) async throws -> Prepared {
        do {
            return try await prepare(try source.open(stateDirectory: stateDirectory))
        } catch let failure as Failure {
            switch failure {
            case .invalid(let result):
                let display = DisplayPaths(directory: source.directory ?? ".")
                print(ValidationReport.text(result, display: display.path), terminator: "")
                print("The repository is invalid; nothing was planned or applied.")
            case .unplannable(let problems):
                for p in problems { print("error: \(p)") }
            case .contextUnreadable(let project, let reason):
                print("error: cannot read the build context of project \(project): \(reason)")
            case .engine(let message):
                print("error: Docker engine: \(message)")
            case .gateway(let message):
                print("error: gateway admin API: \(message)")
                print("hint: start the controller or `capstan gateway`, or pass --gateway-admin none to plan containers only")
            }
            throw ExitCode(1)
        }
    }
}
