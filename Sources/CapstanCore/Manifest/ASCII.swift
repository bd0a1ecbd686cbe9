// Byte-level character classes for names; faster than regular expressions or Character
// properties when ten thousand manifests are checked.
func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
func isLowerAlnum(_ c: UInt8) -> Bool { isDigit(c) || (c >= 97 && c <= 122) }
func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (c >= 65 && c <= 90) }
