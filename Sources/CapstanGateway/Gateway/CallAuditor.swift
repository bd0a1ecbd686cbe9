import CapstanAudit

/// Where the gateway reports each `tools/call`. The real one is the audit store's batched writer;
/// `record` may suspend when the store falls behind, which is how the gateway slows down rather
/// than dropping rows.
public protocol CallAuditor: Sendable {
    func record(_ call: AuditToolCall) async
}

extension AuditCallWriter: CallAuditor {}
