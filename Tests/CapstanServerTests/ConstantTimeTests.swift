import Testing

@testable import CapstanServer

@Suite struct ConstantTimeTests {
    @Test func equalBytesCompareEqual() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
    }

    @Test func aDifferenceAnywhereIsFound() {
        let base: [UInt8] = Array(repeating: 0xab, count: 32)
        for index in base.indices {
            var other = base
            other[index] ^= 0x01
            #expect(!constantTimeEquals(base, other), "difference at \(index)")
        }
    }

    @Test func differentLengthsNeverCompareEqual() {
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
        #expect(!constantTimeEquals([UInt8](), [0]))
        // A zero-padded prefix must not pass for the longer value.
        #expect(!constantTimeEquals([0, 0], [0, 0, 0]))
    }
}
