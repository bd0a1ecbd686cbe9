import ArgumentParser
import CapstanCore
import Foundation

struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create an MCP server project, with its manifests, from a template.",
        discussion: """
            Examples:
              capstan new project weather --template python
              capstan new project weather --dir ~/src/mcp-servers --client alice
            """,
        subcommands: [NewProjectCommand.self]
    )
}

enum ProjectTemplateKind: String, ExpressibleByArgument, CaseIterable {
    case python
}

struct NewProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Create an MCP server project with its Project, Server and Policy manifests.",
        discussion: """
            python: a server on the official `mcp` SDK (FastMCP) with one typed, documented example \
            tool and its pytest test, requirements.txt pinning mcp, and a Dockerfile that runs it as \
            uid 10001 on a read-only root filesystem. The source goes to projects/NAME/, the \
            manifests to projects/NAME.yaml: a Project, a stdio Server and a Policy granting its \
            tools to the repository's client (or to each --client). Afterwards `capstan plan` shows \
            exactly that image to build and that container to create. Refuses a name that is taken.

            Examples:
              capstan new project weather --template python
              capstan new project weather --dir ~/src/mcp-servers --client alice
            """
    )

    @Argument(help: "The name of the project, its Server and its Policy (a DNS label).")
    var name: String

    @Option(help: "The kind of project: \(ProjectTemplateKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var template: ProjectTemplateKind = .python

    @Option(help: "The manifest repository (default: the nearest directory with a capstan.yaml, from here up).",
            completion: .directory)
    var dir: String?

    @Option(name: .customLong("client"),
            help: "A Client to grant the new server's tools to (repeatable; default: the repository's only Client).")
    var clients: [String] = []

    func validate() throws {
        if let problem = dnsLabelProblem(name) {
            throw ValidationError("the project name \"\(name)\" is not valid: \(problem)")
        }
        for client in clients {
            if let problem = dnsLabelProblem(client) { throw ValidationError("--client \"\(client)\" is not valid: \(problem)") }
        }
    }

    func run() throws {
        let root = try repositoryRoot()
        let manifests = ManifestLoader.load(DirectoryTree(root: root)).manifests
        let grantees = try chooseClients(manifests)
        let manifestPath = (manifests.config.root.isEmpty ? "" : manifests.config.root + "/") + "projects/\(name).yaml"
        let hasSchemas = ScaffoldWriter.exists(root + "/" + RepositoryTemplate.schemaDirectory + "/manifest.schema.json")
        let files = PythonProjectTemplate.files(.init(
            name: name, context: "projects/\(name)", manifest: manifestPath,
            modeline: hasSchemas ? RepositoryTemplate.modeline(forFileAt: manifestPath) : nil,
            clients: grantees))

        try checkNameIsFree(manifests, root: root, files: files, writesPolicy: !grantees.isEmpty)
        try ScaffoldWriter.create(files, in: root, overwrite: false)

        let shownRoot = dir ?? Self.relative(root)
        let shown = DisplayPaths(directory: shownRoot)
        print("Created project \(name) (template \(template.rawValue)):")
        for file in files { print("  " + shown.path(file.path)) }
        print(grantees.isEmpty
              ? "\nNo Policy was written: the repository has no Client. Add one, and a Policy for server \(name)."
              : "\nThe Policy \(name) grants its tools (\(name)__\(PythonProjectTemplate.tool)) to \(grantees.joined(separator: ", ")).")
        print("""

            Next:
              (cd \(shown.path("projects/" + name)) && python -m pytest)    # its tests; they need mcp and pytest
              capstan plan\(shownRoot == "." ? "" : " " + shownRoot)    # 1 to build, 1 to create
              git add -A && git commit -m "Add \(name)"
            """)
    }

    /// --dir, or the nearest directory from here up that has a capstan.yaml (stopping at the
    /// top of a git work tree), so that the command works from anywhere inside the repository.
    private func repositoryRoot() throws -> String {
        if let dir {
            guard ScaffoldWriter.isDirectory(dir) else { throw CLIError("--dir \(dir) is not a directory") }
            return ScaffoldWriter.canonical(dir)
        }
        var candidate = ScaffoldWriter.canonical(".")
        while true {
            if ScaffoldWriter.exists(candidate + "/capstan.yaml") { return candidate }
            if ScaffoldWriter.exists(candidate + "/.git") || candidate == "/" { break }
            candidate = (candidate as NSString).deletingLastPathComponent
        }
        throw CLIError("no capstan.yaml here or above: run it inside a repository made by `capstan init`, or name one with --dir")
    }

    private func chooseClients(_ manifests: ManifestSet) throws -> [String] {
        let known = manifests.clients.map(\.metadata.name.value)
        guard clients.isEmpty else {
            for client in clients where !known.contains(client) {
                throw CLIError("--client \(client): the repository has no such Client (it has: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
            }
            return clients
        }
        guard known.count <= 1 else {
            throw CLIError("the repository has \(known.count) Clients (\(known.joined(separator: ", "))); name the one(s) to grant the new server's tools to with --client")
        }
        return known
    }

    private func checkNameIsFree(_ manifests: ManifestSet, root: String, files: [ScaffoldFile], writesPolicy: Bool) throws {
        let taken: [(String, Metadata)] = manifests.projects.map { ("Project", $0.metadata) }
            + manifests.servers.map { ("Server", $0.metadata) }
            + (writesPolicy ? manifests.policies.map { ("Policy", $0.metadata) } : [])
        if let (kind, metadata) = taken.first(where: { $0.1.name.value == name }) {
            let at = metadata.location
            throw CLIError("a \(kind) named \(name) exists already (\(at.file):\(at.mark.line)); nothing was changed. Choose another name")
        }
        let context = root + "/projects/" + name
        let clashes = (ScaffoldWriter.exists(context) ? ["projects/\(name)"] : []) + ScaffoldWriter.existing(files, in: root)
        if let first = clashes.first {
            throw CLIError("\(first) exists already; nothing was changed. Choose another name, or remove it first")
        }
    }

    /// `root` as the user would type it from here.
    private static func relative(_ root: String) -> String {
        let here = ScaffoldWriter.canonical(".")
        if root == here { return "." }
        return ScaffoldWriter.isInside(here, root) || !ScaffoldWriter.isInside(root, here)
            ? root : String(root.dropFirst(here == "/" ? 1 : here.count + 1))
    }
}
