/// Compares two byte sequences in time that depends only on their lengths, never on where they
/// first differ, so a caller probing a secret learns nothing from response timing.
func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    let a = Array(lhs)
    let b = Array(rhs)
    // Unequal lengths still walk the longer input: only the lengths shape the running time.
    var difference: UInt8 = a.count == b.count ? 0 : 1
    for index in 0..<max(a.count, b.count) {
        let x = index < a.count ? a[index] : 0
        let y = index < b.count ? b[index] : 0
        difference |= x ^ y
    }
    return difference == 0
}
