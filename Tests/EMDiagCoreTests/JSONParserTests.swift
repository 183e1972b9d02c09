import Foundation
import Testing

@testable import EMDiagCore

/// `JSONValue.parse` (the hand-written `JSONParser`) against Foundation's `JSONDecoder`, which it replaced.
@Suite struct JSONParserTests {
    private func decoded(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func everyFixtureFileReadsAsJSONDecoderReadsIt() throws {
        let files = FileManager.default.enumerator(atPath: FixtureScenarios.root.path)?
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".json") } ?? []
        #expect(files.count > 50)
        for file in files {
            let data = try Data(contentsOf: FixtureScenarios.root.appendingPathComponent(file))
            #expect(try JSONValue.parse(data) == JSONDecoder().decode(JSONValue.self, from: data), "\(file)")
        }
    }

    @Test(arguments: [
        #"{"a": [1, -2.5e3, 0, true, false, null, {}], "b": {"c": []}}"#,
        #"  "\"\\\/\b\f\n\r\t \u00e9 \u20ac \ud83d\ude00 plain é"  "#,
        "[123456789012345678901, 1.5E-7, 3e+2]",
        "-0.0", "17", #"{"dup": 1, "key": "v"}"#,
    ])
    func sameValueAsJSONDecoder(_ text: String) throws {
        #expect(try JSONValue.parse(Array(text.utf8)) == decoded(text))
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a" 1}"#, "01", "1.", "-", "tru", #""unterminated"#, "\"tab\there\"", #""\x""#,
        #""\ud83d""#, "[1] x", #"{"a":1,}"#, "1e999",
    ])
    func malformedInputThrowsWithTheOffset(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
    }
}
