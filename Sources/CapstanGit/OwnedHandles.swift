import CGit2

// One owning class per kind of libgit2 handle: whoever holds the instance owns the handle, and
// it is freed exactly once, when the last reference goes. The pointer is only lent out for the
// length of a closure, because Swift may release an object right after its last use, which
// would be too early for a raw pointer taken from it (or for data that points into it). None of
// these is Sendable: they are only touched under their repository's lock.

/// Held by its GitRepository's lock for the repository's whole life, so its pointer is valid
/// wherever the lock is held and needs no lending.
final class RepositoryHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_repository_free(pointer) }
}

/// Any object: commit, tree, blob or tag (libgit2 frees them all with `git_object_free`).
final class ObjectHandle {
    private let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_object_free(pointer) }

    func with<Result, Failure: Error>(_ body: (OpaquePointer) throws(Failure) -> Result) throws(Failure) -> Result {
        defer { withExtendedLifetime(self) {} }
        return try body(pointer)
    }
}

final class RemoteHandle {
    private let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_remote_free(pointer) }

    func with<Result, Failure: Error>(_ body: (OpaquePointer) throws(Failure) -> Result) throws(Failure) -> Result {
        defer { withExtendedLifetime(self) {} }
        return try body(pointer)
    }
}

final class ConfigHandle {
    private let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_config_free(pointer) }

    func with<Result, Failure: Error>(_ body: (OpaquePointer) throws(Failure) -> Result) throws(Failure) -> Result {
        defer { withExtendedLifetime(self) {} }
        return try body(pointer)
    }
}
