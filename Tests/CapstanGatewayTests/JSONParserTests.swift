import Testing
@testable import CapstanGateway

@Suite struct JSONParserTests {
    @Test func numbersKeepTheirTextSoLargeIdsRoundTrip() throws {
        let value = try JSONParser.parse(#"{"id":12345678901234567890,"x":-1.5e3}"#)
        #expect(value["id"] == .number("12345678901234567890"))
        #expect(value.text == #"{"id":12345678901234567890,"x":-1.5e3}"#)
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        let value = try JSONParser.parse(#""a\"b\\c\n\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c\né😀"))
        #expect(try JSONParser.parse(value.bytes) == value)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "tru", "\"\\x\"", "\"\u{01}\"", "{\"a\":1,\"a\":2}", "1 2", "\"\\ud800\""])
    func malformedInputIsRefusedWithAnOffset(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONParser.parse(fine)) != nil)
    }

    @Test func canonicalBytesSortMembersAtEveryLevel() throws {
        let a = try JSONParser.parse(#"{"b":{"y":1,"x":2},"a":[3]}"#)
        let b = try JSONParser.parse(#"{"a":[3],"b":{"x":2,"y":1}}"#)
        #expect(a.canonicalBytes == b.canonicalBytes)
        #expect(String(decoding: a.canonicalBytes, as: UTF8.self) == #"{"a":[3],"b":{"x":2,"y":1}}"#)
    }

    @Test func messagesAreClassified() throws {
        let request = try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","id":"a","method":"tools/list"}"#))
        #expect(request == .request(id: .string("a"), method: "tools/list", params: nil))
        let note = try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#))
        #expect(note == .notification(method: "notifications/initialized", params: nil))
        #expect(throws: JSONRPCErrorObject.self) { try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"1.0","id":1,"method":"x"}"#)) }
        #expect(throws: JSONRPCErrorObject.self) { try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#)) }
        #expect(throws: JSONRPCErrorObject.self) { try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#)) }
    }
}
