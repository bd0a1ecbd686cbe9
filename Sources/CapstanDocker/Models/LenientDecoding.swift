/// The engine writes `null` for empty lists and maps (`"Labels": null`, `"CapAdd": null`) and
/// omits some fields in older API versions; both read as the empty value.
extension KeyedDecodingContainer {
    func decode<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
