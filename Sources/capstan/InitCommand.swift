import ArgumentParser
import CapstanCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a manifest repository: settings, a client with a fresh token, examples, git and the pre-commit hook.",
        discussion: """
            Writes capstan.yaml, a Client with a newly generated token (git holds only its hash), \
            commented examples of a Server and a Policy, the JSON Schemas that the files' \
            modelines point editors at (.capstan/schemas), a .gitignore and a pre-commit hook that \
            runs `capstan validate` on what is staged; then makes the first commit. The token is \
            shown once on the terminal, or written to --token-file (mode 0600, outside the \
            repository). Refuses a directory that holds anything but .git, unless --force.

            Examples:
              capstan init mcp-servers
              capstan init --client alice --app claude-code --token-file ~/.config/capstan/alice.token
              capstan init --force .            # into an existing directory; other files are kept
            """
    )

    @Argument(help: "Directory of the new repository (created if missing).", completion: .directory)
    var directory = "."

    @Option(help: "Instance name, which scopes the containers this repository owns (default: the directory's name if it is a DNS label, else capstan).")
    var instance: String?

    @Option(help: "Name of the Client to create (default: $USER if it is a DNS label, else me).")
    var client: String?

    @Option(help: "The Client's app: \(ClientApp.allCases.map(\.rawValue).joined(separator: ", ")).",
            completion: .list(ClientApp.allCases.map(\.rawValue)))
    var app = ClientApp.generic.rawValue

    @Option(help: "Write the Client's token to this file (created with mode 0600, outside the repository) instead of showing it.",
            completion: .file())
    var tokenFile: String?

    @Flag(help: "Write into a directory that is not empty: the files init writes are overwritten, others are kept.")
    var force = false

    func validate() throws {
        if let instance, let problem = dnsLabelProblem(instance) {
            throw ValidationError("--instance \"\(instance)\" is not valid: \(problem)")
        }
        if let client, let problem = dnsLabelProblem(client) {
            throw ValidationError("--client \"\(client)\" is not valid: \(problem)")
        }
        if ClientApp(rawValue: app) == nil {
            throw ValidationError("--app \"\(app)\" is not one of \(ClientApp.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let root = ScaffoldWriter.canonical(directory)
        let clientName = client ?? Self.defaultClient()
        var generator = SystemRandomNumberGenerator()
        let token = ClientToken.generate(using: &generator)
        let parameters = RepositoryTemplate.Parameters(
            instance: instance ?? Self.instance(forDirectory: root), client: clientName, app: app,
            tokenHash: ClientToken.hash(token))
        let files = RepositoryTemplate.files(parameters)
        let git = ScaffoldGit(directory: root)

        // Every check before the first change, so that a refusal leaves everything as it was.
        try checkTarget(root)
        let tokenPath = try checkTokenDestination(root: root)
        try git.checkAvailable()

        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create \(directory): \(error.localizedDescription)")
        }
        if let tokenPath {
            try ScaffoldWriter.writeFile(tokenPath, contents: token + "\n", mode: 0o600, overwrite: false)
        }
        try ScaffoldWriter.create(files, in: root, overwrite: force)

        // The files are written (and the token exists only in memory or its file): report them
        // and the token even when git fails, then fail.
        var commit: String?
        var gitFailure: (any Error)?
        do {
            commit = try git.initializeAndCommit(files.map(\.path), hook: RepositoryTemplate.preCommitHook(capstanPath: ScaffoldGit.capstanPath))
        } catch {
            gitFailure = error
        }
        printSummary(parameters, commit: commit, token: tokenPath == nil ? token : nil, tokenPath: tokenPath)
        if let hooksPath = git.hooksPathOverride() {
            print("\nNote: git runs hooks from \(hooksPath) (core.hooksPath), not .git/hooks; to validate commits, "
                  + "run `capstan validate` from a pre-commit hook there.")
        }
        if let gitFailure { throw gitFailure }
    }

    private func checkTarget(_ root: String) throws {
        guard ScaffoldWriter.exists(root) else { return }
        guard ScaffoldWriter.isDirectory(root) else { throw CLIError("\(directory) exists and is not a directory") }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0 != ".git" }.sorted()
        if !entries.isEmpty && !force {
            let shown = entries.prefix(4).joined(separator: ", ") + (entries.count > 4 ? ", …" : "")
            throw CLIError("""
                \(directory) is not empty (\(shown)); nothing was changed. capstan init starts a new \
                repository: give it a new or empty directory, or --force to write into this one \
                (the files init writes are overwritten, others are kept)
                """)
        }
        let hook = root + "/.git/hooks/pre-commit"
        if ScaffoldWriter.exists(hook) && !force {
            throw CLIError("\(directory)/.git/hooks/pre-commit exists; nothing was changed (use --force to replace it)")
        }
    }

    /// Where the token goes: a file (returned) or the terminal (nil). Never into the repository,
    /// never into a pipe or a log.
    private func checkTokenDestination(root: String) throws -> String? {
        guard let tokenFile else {
            guard isatty(STDOUT_FILENO) == 1 else {
                throw CLIError("""
                    the token of the new client is shown only once and only on a terminal, and this \
                    output is not one; nothing was changed. Give --token-file FILE (created with mode \
                    0600, outside the repository)
                    """)
            }
            return nil
        }
        let path = ScaffoldWriter.canonical(tokenFile)
        if ScaffoldWriter.isInside(path, root) {
            throw CLIError("--token-file \(tokenFile) is inside the repository; a token never belongs in git. Name a file outside \(directory)")
        }
        let parent = (path as NSString).deletingLastPathComponent
        guard ScaffoldWriter.isDirectory(parent) else {
            throw CLIError("--token-file \(tokenFile): the directory \(parent) does not exist")
        }
        if ScaffoldWriter.exists(path) {
            throw CLIError("--token-file \(tokenFile) exists; Capstan never overwrites a token file. Nothing was changed")
        }
        return path
    }

    private func printSummary(_ p: RepositoryTemplate.Parameters, commit: String?, token: String?, tokenPath: String?) {
        let commitNote = commit.map { ", first commit \($0)" } ?? ""
        print("""
            Initialized a Capstan repository in \(directory) (instance "\(p.instance)")\(commitNote):

              capstan.yaml            repository settings
              clients.yaml            Client "\(p.client)" (\(p.app)) with the hash of a new token
              servers.yaml            an example Server, commented out
              policies.yaml           an example Policy, commented out
              .capstan/schemas/       JSON Schemas for editors (each file's modeline points here)
              .gitignore
              .git/hooks/pre-commit   runs `capstan validate` on what you commit

            """)
        if let token {
            print("""
                The token of client "\(p.client)", shown only now (git holds only its hash):

                    \(token)

                """)
        } else if let tokenPath {
            print("The token of client \"\(p.client)\" is in \(tokenPath) (mode 0600); git holds only its hash.\n")
        }
        // The app reads the token at run time from the file, or from the variable once exported.
        let tokenOption = tokenPath.map { "--token-file " + $0 } ?? "--token-env CAPSTAN_TOKEN"
        let connectStep = p.app == ClientApp.generic.rawValue
            ? "capstan client config \(p.client) \(tokenOption)    # the URL and header for your MCP client"
            : "capstan client connect \(p.client) \(tokenOption)   # adds the gateway to \(p.app)'s configuration"
        print("""
            Clients send it as `Authorization: Bearer <token>` to the gateway, http://127.0.0.1:8750/mcp.

            Next:
            \(directory == "." ? "" : "  cd \(directory)\n")\
              capstan new project hello --template python    # an MCP server in projects/hello
              git add -A && git commit -m "Add hello"
              capstan gateway                                 # in another terminal
              capstan apply                                   # build, start and route it
            \(token == nil ? "" : "  export CAPSTAN_TOKEN=<the token above>\n")\
              \(connectStep)
            """)
    }

    /// The directory's name when it is a DNS label (a Compose-like project name), else the default.
    static func instance(forDirectory root: String) -> String {
        let name = (root as NSString).lastPathComponent
        return dnsLabelProblem(name) == nil ? name : "capstan"
    }

    private static func defaultClient() -> String {
        let env = ProcessInfo.processInfo.environment
        let user = env["USER"] ?? env["LOGNAME"] ?? ""
        return dnsLabelProblem(user) == nil ? user : "me"
    }

    /// 256 random bits as hex, like `openssl rand -hex 32`.
}

/// git as a process, for `capstan init`: init, the hook, the first commit. Run with a clean
/// environment (no GIT_DIR from a calling hook) and with CAPSTAN_BIN set to this binary, so
/// the hook validates the first commit with the capstan that wrote it.
struct ScaffoldGit {
    let directory: String

    static let capstanPath: String? = {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        let arg0 = CommandLine.arguments.first ?? ""
        return arg0.contains("/") ? ScaffoldWriter.canonical(arg0) : nil
    }()

    func checkAvailable() throws {
        do {
            _ = try run(["--version"], in: nil)
        } catch {
            throw CLIError("capstan init needs git on PATH: \(error)")
        }
    }

    /// Initializes the repository unless it exists, installs the hook, commits exactly `paths`
    /// (nothing else the index may hold), and returns the short commit id.
    func initializeAndCommit(_ paths: [String], hook: String) throws -> String {
        if !ScaffoldWriter.exists(directory + "/.git") {
            // git's own default branch unless the user chose one (git 2.28+ warns otherwise).
            let configured = (try? run(["config", "--get", "init.defaultBranch"], in: nil)) ?? ""
            try run(["init", "-q"] + (configured.isEmpty ? ["--initial-branch=main"] : []), in: directory)
        }
        let gitDirectory = try run(["rev-parse", "--absolute-git-dir"], in: directory)
        try FileManager.default.createDirectory(atPath: gitDirectory + "/hooks", withIntermediateDirectories: true)
        try ScaffoldWriter.writeFile(gitDirectory + "/hooks/pre-commit", contents: hook, mode: 0o755, overwrite: true)

        try run(["add", "--"] + paths, in: directory)
        try run(identityFallback() + ["commit", "-q", "-m", "Start a Capstan manifest repository (capstan init)", "--"] + paths,
                in: directory)
        return try run(["rev-parse", "--short", "HEAD"], in: directory)
    }

    /// core.hooksPath when the user set one (then .git/hooks/pre-commit is never run).
    func hooksPathOverride() -> String? {
        guard let path = try? run(["config", "--get", "core.hooksPath"], in: directory), !path.isEmpty else { return nil }
        return path
    }

    /// `-c user.name=… -c user.email=…` for whatever git cannot find itself, so that the first
    /// commit works on a machine where git was never configured (it is the user's to amend).
    private func identityFallback() -> [String] {
        let env = ProcessInfo.processInfo.environment
        var args: [String] = []
        let name = (try? run(["config", "--get", "user.name"], in: directory)) ?? ""
        if name.isEmpty && (env["GIT_AUTHOR_NAME"] ?? "").isEmpty {
            args += ["-c", "user.name=capstan init"]
        }
        let email = (try? run(["config", "--get", "user.email"], in: directory)) ?? ""
        if email.isEmpty && (env["GIT_AUTHOR_EMAIL"] ?? "").isEmpty && (env["EMAIL"] ?? "").isEmpty {
            args += ["-c", "user.email=capstan-init@localhost"]
        }
        return args
    }

    /// Runs git and returns its output, trimmed; a non-zero exit is an error carrying the output.
    @discardableResult
    private func run(_ arguments: [String], in directory: String?) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + (directory.map { ["-C", $0] } ?? []) + arguments
        var environment = ProcessInfo.processInfo.environment
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"] { environment[key] = nil }
        if let path = Self.capstanPath { environment["CAPSTAN_BIN"] = path }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CLIError("cannot run git: \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            throw CLIError("git \(arguments.first ?? "") failed (exit \(process.terminationStatus))\(text.isEmpty ? "" : ":\n" + text)")
        }
        return text
    }
}
