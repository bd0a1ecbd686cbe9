import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One controller per state directory (and so per Docker host): an exclusive `flock` on a file
/// in it, held for the life of the process and released by the kernel if the process dies.
public final class StateLock: Sendable {
    private let fd: Int32

    public init(stateDirectory: String) throws(ReconcileError) {
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw .stateDirectory(path: stateDirectory, reason: error.localizedDescription)
        }
        let path = stateDirectory + "/controller.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .stateDirectory(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .stateDirectory(path: path, reason: "another capstan controller holds this state directory")
        }
        // The holder's pid, for a person looking into the directory.
        _ = ftruncate(fd, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
