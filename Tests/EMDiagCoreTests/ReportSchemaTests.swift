import Foundation
import Testing

@testable import EMDiagCore

/// The JSON report against `docs/report.schema.json` (draft 2020-12, checked with Python's `jsonschema`),
/// for the written bundle and for every fixture scenario; plus golden files for one scenario.
struct ReportSchemaTests {
    typealias F = ReportFixtures

    static let hasJSONSchema: Bool = {
        (try? F.python(["-c", "import jsonschema"]).status) == 0
    }()

    /// Validates each document; returns the validator's exit status and messages (one line per failure).
    static func validate(_ documents: [String]) throws -> ReportFixtures.ProcessResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for (index, document) in documents.enumerated() {
            let url = dir.appendingPathComponent("report-\(index).json")
            try Data(document.utf8).write(to: url)
            paths.append(url.path)
        }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            bad = 0
            for path in sys.argv[2:]:
                for error in validator.iter_errors(json.load(open(path))):
                    bad += 1
                    print(path, "/".join(str(p) for p in error.absolute_path), error.message)
            sys.exit(1 if bad else 0)
            """
        return try F.python(["-c", script, F.schemaURL.path] + paths)
    }

    @Test(.enabled(if: hasJSONSchema, "python3 with the jsonschema package is needed to validate the schema"))
    func reportOfWrittenBundleMatchesTheSchema() throws {
        var withoutBundle = try F.report()
        withoutBundle.bundle = nil
        let result = try Self.validate([try F.report().jsonString(), withoutBundle.jsonString()])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test(.enabled(if: hasJSONSchema, "python3 with the jsonschema package is needed to validate the schema"))
    func schemaRejectsAMalformedReport() throws {
        let json = try F.report().jsonString()
        let broken = json.replacingOccurrences(of: "\"severity\" : \"critical\"", with: "\"severity\" : \"fatal\"")
            .replacingOccurrences(of: "\"schemaVersion\" : 1", with: "\"schemaVersion\" : 2")
        let result = try Self.validate([broken])
        #expect(result.status == 1)
        #expect(result.stdout.contains("'fatal' is not one of"))
        #expect(result.stdout.contains("schemaVersion"))
    }

    @Test(.enabled(if: hasJSONSchema, "python3 with the jsonschema package is needed to validate the schema"))
    func everyFixtureScenarioMatchesTheSchema() throws {
        let scenarios = F.scenarios
        try #require(!scenarios.isEmpty, "no scenarios in \(F.fixturesRoot.path)")
        let documents = try scenarios.map { try F.report(scenario: $0).jsonString() }
        let result = try Self.validate(documents)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
