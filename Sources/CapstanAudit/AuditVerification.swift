/// The result of walking the chain.
public enum AuditVerification: Sendable, Equatable {
    public enum Reason: String, Sendable {
        case hashMismatch = "hash mismatch"
        case prevHashMismatch = "prev_hash does not match the previous row"
        case sequenceGap = "gap in sequence"
    }

    case intact(rows: Int)
    /// The first row (in `seq` order) that does not fit the chain, with its `kind` column.
    case broken(seq: Int64, kind: String, reason: Reason)
}
