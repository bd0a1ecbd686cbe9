import CapstanCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a new token goes: a terminal, or a new file of mode 0600 outside the repository.
/// Decided before anything changes, so a command that cannot hand the token over changes nothing.
enum ClientTokenDelivery {
    case terminal
    case file(path: String, shown: String)

    static func prepare(tokenFile: String?, repository: String) throws -> ClientTokenDelivery {
        guard let tokenFile else {
            guard isatty(STDOUT_FILENO) == 1 else {
                throw CLIError("stdout is not a terminal, and a token printed there would end up in a pipe or a log; "
                               + "give --token-file PATH (created with mode 0600, outside the repository). Nothing was changed.")
            }
            return .terminal
        }
        let path = ClientFiles.absolute(tokenFile)
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("the directory of --token-file \(tokenFile) does not exist. Nothing was changed.")
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            throw CLIError("--token-file \(tokenFile) already exists; Capstan does not overwrite a token file. Nothing was changed.")
        }
        let real = ClientFiles.resolved(directory) + "/" + (path as NSString).lastPathComponent
        for root in ClientFiles.repositoryRoots(repository) where ClientFiles.isInside(real, root) {
            throw CLIError("--token-file \(tokenFile) is inside the repository \(root); the token must never reach git. "
                           + "Put it outside, for example in ~/.config/capstan/. Nothing was changed.")
        }
        return .file(path: path, shown: tokenFile)
    }

    /// Writes the token file (before the manifest changes, so a failure leaves the old state).
    func store(_ token: String) throws {
        guard case .file(let path, _) = self else { return }
        try ClientFiles.createExclusive(path, Array((token + "\n").utf8), mode: 0o600)
    }

    /// Takes back `store` when the manifest could not be written.
    func discard() {
        if case .file(let path, _) = self { unlink(path) }
    }

    /// What to tell the user; the token itself only on a terminal.
    func announce(_ token: String) {
        switch self {
        case .terminal:
            print("""

                Token (shown once; Capstan keeps only its hash):

                    \(token)

                """)
        case .file(_, let shown):
            print("Token written to \(shown) (mode 0600).")
        }
    }

    /// The token option to repeat in the next commands.
    var option: String {
        switch self {
        case .terminal: return "--token-env CAPSTAN_TOKEN"
        case .file(_, let shown): return "--token-file " + shown
        }
    }
}

enum ClientTokenFile {
    /// The token in a token file: its first line, without surrounding whitespace.
    static func read(_ path: String) throws -> String {
        guard let bytes = try ClientFiles.read(path) else { throw CLIError("token file \(path) does not exist") }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, !text.contains(where: \.isNewline) else {
            throw CLIError("token file \(path) must hold the token alone, on one line")
        }
        return text
    }
}
