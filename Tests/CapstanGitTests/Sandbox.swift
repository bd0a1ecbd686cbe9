import Foundation

/// A temporary directory, removed when the last reference goes, in which tests make real git
/// repositories with the `git` CLI, configured only by the arguments given here (no user or
/// system configuration).
final class Sandbox {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("capstan-git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Writes a file (creating its directories) under the sandbox.
    func write(_ relative: String, _ bytes: [UInt8], executable: Bool = false) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
    }

    func write(_ relative: String, _ text: String, executable: Bool = false) throws {
        try write(relative, Array(text.utf8), executable: executable)
    }

    func symlink(_ relative: String, to target: String) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path(relative))
    }

    /// Runs git in `directory` (relative to the sandbox, or absolute); returns trimmed stdout.
    @discardableResult
    func git(_ arguments: [String], in directory: String = "", date: Int = 1_700_000_000) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = [
            "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main",
            "-c", "commit.gpgsign=false", "-c", "protocol.file.allow=always",
        ] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.hasPrefix("/") ? directory : path(directory))
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": root,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_AUTHOR_DATE": "@\(date) +0000",
            "GIT_COMMITTER_DATE": "@\(date) +0000",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GitCommandFailed(arguments: arguments, status: process.terminationStatus,
                                   stderr: String(decoding: stderr, as: UTF8.self))
        }
        return String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func git(_ arguments: String..., in directory: String = "", date: Int = 1_700_000_000) throws {
        try git(arguments, in: directory, date: date)
    }

    /// `git init` of a working repository on branch `main` (or `branch`).
    func initRepository(_ relative: String, branch: String = "main") throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
        try git(["init", "-q", "-b", branch], in: relative)
    }

    /// Stages everything in the working directory and commits it; returns the new commit id.
    @discardableResult
    func commitAll(_ relative: String, message: String = "change", date: Int = 1_700_000_000) throws -> String {
        try git(["add", "-A"], in: relative)
        try git(["commit", "-q", "--allow-empty", "-m", message], in: relative, date: date)
        return try git(["rev-parse", "HEAD"], in: relative)
    }
}

struct GitCommandFailed: Error, CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stderr: String

    var description: String { "git \(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
}
