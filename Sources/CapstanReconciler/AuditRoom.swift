import CapstanAudit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether the audit store has room to record what the controller is about to do.
///
/// The controller applies nothing it cannot record. Appending a run needs fresh pages on disk;
/// a probe transaction that is rolled back proves nothing (SQLite may reuse WAL frames it
/// already has, then fail on the next page it needs), so the filesystem is asked instead:
/// below `floor` free bytes nothing is applied, and the status says why.
public enum AuditRoom {
    /// A run with its actions takes a few KiB; this leaves room for hundreds of them.
    public static let floor: Int64 = 1 << 20

    /// Free bytes an unprivileged writer may use on the filesystem holding `path` (symbolic
    /// links followed, so a store linked onto another disk is measured there), or nil when
    /// that cannot be told.
    @Sendable public static func freeBytes(atPath path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    /// nil when a run can be recorded; otherwise why nothing is applied, in words for people.
    /// An unknown amount does not stop the controller: a record that then fails still fails
    /// the reconcile, which is retried.
    public static func refusal(freeBytes: Int64?, floor: Int64 = floor, storePath: String) -> String? {
        guard let freeBytes, freeBytes < floor else { return nil }
        return "nothing was applied: the filesystem of the audit store \(storePath) has \(size(max(0, freeBytes))) free, "
            + "and Capstan keeps \(size(floor)) free so that every change it makes is recorded; "
            + "free some space and the next sync applies"
    }

    static func size(_ bytes: Int64) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
