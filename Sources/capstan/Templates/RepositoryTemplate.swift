import Foundation

/// What `capstan init` writes: repository settings, one real Client, commented examples of a
/// Server and a Policy, the JSON Schemas for editors, a .gitignore and the pre-commit hook.
/// Pure: the same inputs always give the same files.
enum RepositoryTemplate {
    struct Parameters: Sendable {
        var instance: String
        var client: String
        var app: String
        /// `sha256:<hex>` of the client's token; the token itself is never written here.
        var tokenHash: String
    }

    /// Where the schemas go in a new repository: hidden, so never scanned for manifests, and
    /// committed, so every clone has them.
    static let schemaDirectory = ".capstan/schemas"

    static func files(_ p: Parameters) -> [ScaffoldFile] {
        [
            ScaffoldFile(path: "capstan.yaml", contents: capstanYAML(p)),
            ScaffoldFile(path: "clients.yaml", contents: clientsYAML(p)),
            ScaffoldFile(path: "servers.yaml", contents: serversYAML(p)),
            ScaffoldFile(path: "policies.yaml", contents: policiesYAML(p)),
            ScaffoldFile(path: ".gitignore", contents: gitignore),
        ] + SchemaTemplates.manifestSchemas.map {
            ScaffoldFile(path: schemaDirectory + "/" + $0.name, contents: $0.contents)
        }
    }

    /// The modeline for a manifest file at `path` (relative to the repository root): the YAML
    /// language server resolves it relative to the file, and applies it to the one document it
    /// is in, so every document of a file carries its own.
    static func modeline(forFileAt path: String, schema: String = "manifest.schema.json") -> String {
        let depth = path.split(separator: "/").count - 1
        return "# yaml-language-server: $schema=" + String(repeating: "../", count: depth)
            + schemaDirectory + "/" + schema
    }

    private static func capstanYAML(_ p: Parameters) -> String {
        """
        \(modeline(forFileAt: "capstan.yaml", schema: "capstan-config.schema.json"))
        #
        # Repository settings (optional file). Not a manifest: no apiVersion/kind.

        # Ownership scope: containers are named \(p.instance)-<server> and labelled
        # capstan.instance=\(p.instance), so applying another repository to the same Docker engine
        # never changes or prunes them.
        instance: \(p.instance)

        # root: deploy            # manifests live in a subdirectory (default: this directory)
        # exclude:                # YAML files that belong to other tools
        #   - "ci/**"

        """
    }

    private static func clientsYAML(_ p: Parameters) -> String {
        """
        \(modeline(forFileAt: "clients.yaml"))
        #
        # A Client is an LLM client identity (Claude Code, Claude Desktop, Cursor, VS Code, Codex,
        # ...). It authenticates to the gateway with a bearer token; git holds only the token's
        # SHA-256. `capstan init` generated this token and showed it once; it is stored nowhere
        # else. To replace it, make a new one and put its hash below:
        #   TOKEN=$(openssl rand -hex 32)
        #   printf %s "$TOKEN" | sha256sum      # -> tokenHash: sha256:<that hex>
        apiVersion: capstan/v1
        kind: Client
        metadata:
          name: \(p.client)
        spec:
        \(commented("  app: " + p.app, "claude-desktop | claude-code | cursor | vscode | codex | generic"))
          tokenHash: \(p.tokenHash)

        """
    }

    private static func serversYAML(_ p: Parameters) -> String {
        """
        \(modeline(forFileAt: "servers.yaml"))
        #
        # A Server is an MCP server that runs as a container, built from a Project of this
        # repository (`capstan new project NAME --template python` writes both, in
        # projects/NAME.yaml) or run from an image that is already on the Docker engine. Every
        # Server is hardened by default: no network, read-only root filesystem with a small
        # writable /tmp, all capabilities dropped, no-new-privileges.
        #
        # An example from an image; uncomment and adapt it:
        #
        # apiVersion: capstan/v1
        # kind: Server
        # metadata:
        #   name: time
        # spec:
        #   image: mcp/time:latest        # must be on the engine: capstan builds, it does not pull
        #   transport: stdio              # the gateway talks to the container's stdin/stdout
        #   command: ["--local-timezone", "UTC"]   # arguments to the image's entrypoint
        #   env:
        #     LOG_LEVEL: info             # values are text; quote what should not look like a number
        #   secrets:                      # env vars from the secrets directory; git holds names only
        #     - {env: API_TOKEN, secret: time-api-token}
        #   resources: {cpus: 0.25, memory: 96Mi, pids: 32}
        #   tools: [get_current_time, convert_time]   # the tools it must offer

        """
    }

    private static func policiesYAML(_ p: Parameters) -> String {
        """
        \(modeline(forFileAt: "policies.yaml"))
        #
        # A Policy says which clients may call which tools. Nothing is allowed unless a rule
        # allows it, and a deny rule wins over any allow. Clients see tools as <server>__<tool>.
        # `capstan new project NAME` writes the Policy that grants the new server's tools, next
        # to its Server in projects/NAME.yaml.
        #
        # An example for the Server of servers.yaml; uncomment and adapt it:
        #
        # apiVersion: capstan/v1
        # kind: Policy
        # metadata:
        #   name: \(p.client)-time
        # spec:
        \(commented("#   clients: [\(p.client)]", "or by label: selector: {matchLabels: {team: data}}", column: 34))
        #   rules:
        #     - server: time
        #       tools: ["*"]              # every tool; patterns may use * and ?
        #       effect: allow
        #     - server: time
        #       tools: [convert_time]
        #       effect: deny              # deny wins over allow

        """
    }

    private static let gitignore = """
        # Python bytecode, test caches and virtual environments of the projects' source.
        __pycache__/
        *.py[cod]
        .pytest_cache/
        .venv/
        venv/

        # Tokens and secret values never go into git: a Client holds only its token's hash and a
        # Server only a secret's name (the values live in the controller's secrets directory).
        *.token
        .env

        """

    /// The pre-commit hook: `hooks/pre-commit` of Capstan's repository (validate exactly what
    /// is staged), plus a fallback to the binary that installed it when `capstan` is not on PATH.
    static func preCommitHook(capstanPath: String?) -> String {
        let fallback = capstanPath.map { "\n    elif [[ -x \(shellQuoted($0)) ]]; then\n        capstan=\(shellQuoted($0))" } ?? ""
        return """
            #!/usr/bin/env bash
            # Capstan pre-commit hook, installed by `capstan init`: validates the manifests exactly as
            # they will be committed (the staged index, not the working tree) and blocks the commit
            # when any is invalid. Skip once: git commit --no-verify
            set -euo pipefail

            # $CAPSTAN_BIN, else capstan from PATH, else the capstan that installed this hook.
            capstan=${CAPSTAN_BIN:-}
            if [[ -z $capstan ]]; then
                if command -v capstan >/dev/null 2>&1; then
                    capstan=capstan\(fallback)
                fi
            fi
            if [[ -z $capstan ]] || ! command -v "$capstan" >/dev/null 2>&1; then
                echo "pre-commit: capstan not found on PATH (set CAPSTAN_BIN to its path)." >&2
                exit 1
            fi

            staged=$(mktemp -d)
            trap 'rm -rf "$staged"' EXIT
            git checkout-index --all --prefix="$staged/"

            # Run from inside the copy so that diagnostics name files as they are in the repository.
            if ! (cd "$staged" && "$capstan" validate .); then
                echo "pre-commit: commit blocked: fix the manifests above (what is checked is the staged content)." >&2
                exit 1
            fi

            """
    }

    /// `line` with a trailing comment in the column the other comments of the file use.
    static func commented(_ line: String, _ comment: String, column: Int = 32) -> String {
        line + String(repeating: " ", count: max(1, column - line.count)) + "# " + comment
    }

    private static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
