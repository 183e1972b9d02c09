import Foundation
import Testing

@testable import EMDiagCore

/// Every built-in rule's own examples: the documented secrets disappear, the documented evidence stays.
@Suite struct RedactionRuleTests {
    @Test(arguments: RedactionRule.allCases)
    func examplesRedact(rule: RedactionRule) throws {
        let description = rule.ruleDescription
        #expect(!description.summary.isEmpty)
        #expect(!description.redacts.isEmpty, "every rule documents what it hides")
        for example in description.redacts {
            let redactor = try RedactFixtures.redactor()
            redactor.register(secretValues: example.registered)
            let output = redact(example.input, rule: rule, with: redactor)
            for secret in example.secrets {
                #expect(!output.contains(secret), "\(rule.rawValue): \(secret) left in \(output)")
            }
            if rule != .helmRelease {  // Helm release fields are dropped, not replaced
                #expect(output.contains("<redacted:"), "\(rule.rawValue): no placeholder in \(output)")
            }
            #expect((redactor.report().totals[rule.rawValue] ?? 0) >= 1, "\(rule.rawValue) not counted for \(example.input)")
        }
    }

    @Test(arguments: RedactionRule.allCases)
    func examplesKeep(rule: RedactionRule) throws {
        for input in rule.ruleDescription.keeps {
            let redactor = try RedactFixtures.redactor()
            let output = redact(input, rule: rule, with: redactor)
            if rule.ruleDescription.structural {
                #expect(try JSONValue.parse(Array(output.utf8)) == JSONValue.parse(Array(input.utf8)))
            } else {
                #expect(output == input)
            }
            #expect(redactor.report().totals.isEmpty, "\(rule.rawValue) hid something in \(input)")
        }
    }

    private func redact(_ input: String, rule: RedactionRule, with redactor: Redactor) -> String {
        guard rule.ruleDescription.structural, let object = try? JSONValue.parse(Array(input.utf8)) else {
            return redactor.redact(text: input, file: "example")
        }
        let out = rule == .helmRelease
            ? redactor.redactHelmReleaseRecord(object, file: "example")
            : redactor.redactObject(object, file: "example")
        return String(decoding: out.serialized(), as: UTF8.self)
    }

    @Test func ruleIDsAreStableAndUnique() throws {
        let ids = RedactionRule.allCases.map(\.rawValue)
        #expect(Set(ids).count == ids.count)
        #expect(ids.contains("url-credentials") && ids.contains("known-secret-value") && ids.contains("env-value"))
        let redactor = try Redactor(policy: RedactionPolicy(patterns: ["token-([a-z]+)"]))
        #expect(redactor.ruleIDs == ids + ["custom-pattern-1"])
        #expect(redactor.manifestEntry == Manifest.Redaction(enabled: true, rules: ids + ["custom-pattern-1"], report: "redaction-report.json"))
    }
}
