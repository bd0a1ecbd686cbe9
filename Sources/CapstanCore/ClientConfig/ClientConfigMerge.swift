/// Merging a client into its app's configuration file and taking it out again, as pure
/// functions of the file's bytes. The CLI reads and writes the files.
public enum ClientConfigMerge {
    public enum ConnectOutcome: Sendable, Equatable {
        /// The file already holds exactly this entry.
        case unchanged
        /// The new bytes; `replaced` when an entry of that name was there with other values.
        case changed([UInt8], replaced: Bool)
    }

    public enum DisconnectOutcome: Sendable, Equatable {
        /// The file holds no entry of that name.
        case notConnected
        /// Nothing else changed since the backup was taken: write the backup back as it is.
        case restoreBackup
        /// The file holds only what connect created: remove it.
        case removeFile
        /// The file without the entry.
        case changed([UInt8])
    }

    /// The file (nil when it does not exist) with the client's entry merged in.
    public static func connect(_ file: [UInt8]?, _ connection: ClientConnection) throws(ClientConfigError) -> ConnectOutcome {
        switch try ClientSnippet.shape(connection) {
        case .text:
            throw .noConfigFile(app: connection.app)
        case .json(let key, let comments, let entry, let input):
            let original = file ?? []
            let (bytes, replaced) = try connectJSON(original, containerKey: key, allowComments: comments,
                                                    name: connection.name, entry: entry, input: input)
            return bytes == original && file != nil ? .unchanged : .changed(bytes, replaced: replaced)
        case .toml(let block):
            var editor = CodexTOMLEditor(file ?? [])
            let existed = try editor.tableRange(connection.name) != nil
            guard try editor.set(connection.name, block: block) else { return .unchanged }
            return .changed(editor.bytes, replaced: existed)
        }
    }

    /// The file without the client's entry. `backup` is the file as it was before Capstan first
    /// changed it (nil when there is none, or connect created the file).
    public static func disconnect(_ file: [UInt8]?, name: String, app: ClientApp,
                                  backup: [UInt8]?) throws(ClientConfigError) -> DisconnectOutcome {
        guard let file else { return .notConnected }
        if app == .codex {
            var editor = CodexTOMLEditor(file)
            guard let block = try editor.remove(name) else { return .notConnected }
            if let backup {
                var before = CodexTOMLEditor(backup)
                if try before.tableRange(name) == nil, (try? before.set(name, block: block)) != nil, before.bytes == file {
                    return .restoreBackup
                }
            }
            var fresh = CodexTOMLEditor([])
            try fresh.set(name, block: block)
            if backup == nil && fresh.bytes == file { return .removeFile }
            return .changed(editor.bytes)
        }
        guard let (key, comments) = ClientSnippet.jsonFormat(app) else { throw .noConfigFile(app: app) }
        var editor = ConfigJSONEditor(file, allowComments: comments)
        guard let root = try editor.root(), let container = root.member(key)?.value,
              let entry = container.member(name)?.value.value else { return .notConnected }
        editor.remove(name, from: container)
        var input: ConfigJSON?
        if app == .vscode, let inputs = try editor.root()?.member("inputs")?.value {
            let id = ConfigJSON.string("capstan-\(name)-token")
            input = inputs.elements?.first { $0.value["id"] == id }?.value
            editor.removeElement(in: inputs) { $0["id"] == id }
        }
        // Would connecting to the backup (or to no file) give exactly this file? Then restore it.
        if let backup, (try? ConfigJSONParser.parse(backup, allowComments: comments))?.flatMap({ $0.member(key)?.value.member(name) }) == nil,
           let redo = try? connectJSON(backup, containerKey: key, allowComments: comments, name: name, entry: entry, input: input),
           redo.bytes == file {
            return .restoreBackup
        }
        if backup == nil, let fresh = try? connectJSON([], containerKey: key, allowComments: comments, name: name, entry: entry, input: input),
           fresh.bytes == file {
            return .removeFile
        }
        return .changed(editor.bytes)
    }

    static func connectJSON(_ original: [UInt8], containerKey key: String, allowComments: Bool, name: String,
                            entry: ConfigJSON, input: ConfigJSON?) throws(ClientConfigError) -> (bytes: [UInt8], replaced: Bool) {
        var editor = ConfigJSONEditor(original, allowComments: allowComments)
        guard let root = try editor.root() else {
            var members = [ConfigJSONMember(key, .object([ConfigJSONMember(name, entry)]))]
            if let input { members.append(ConfigJSONMember("inputs", .array([input]))) }
            return (Array((ConfigJSON.object(members).rendered() + "\n").utf8), false)
        }
        guard root.members != nil else { throw .unexpectedShape(path: "the file", expected: "an object") }
        let unit = editor.indentUnit(root)
        var replaced = false
        if let container = root.member(key)?.value {
            guard container.members != nil else { throw .unexpectedShape(path: key, expected: "an object") }
            replaced = container.member(name) != nil
            editor.set(name, to: entry, in: container, unit: unit)
        } else {
            editor.set(key, to: .object([ConfigJSONMember(name, entry)]), in: root, unit: unit)
        }
        if let input, let root = try editor.root() {
            if let inputs = root.member("inputs")?.value {
                guard inputs.elements != nil else { throw .unexpectedShape(path: "inputs", expected: "a list") }
                editor.set(element: input, in: inputs, unit: unit) { $0["id"] == input["id"] }
            } else {
                editor.set("inputs", to: .array([input]), in: root, unit: unit)
            }
        }
        return (editor.bytes, replaced)
    }
}
