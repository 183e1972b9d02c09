import Testing

@testable import EMDiagCore

/// Playbook additions: extra patterns, key names, dropped files, non-secret keys.
@Suite struct RedactionPolicyTests {
    @Test func policiesMerge() {
        let a = RedactionPolicy(patterns: ["p1"], keyNames: ["A"], dropFiles: ["x/*"], nonSecretKeys: ["s": ["base-url"]])
        let b = RedactionPolicy(enabled: false, patterns: ["p1", "p2"], keyNames: ["B"], nonSecretKeys: ["s": ["host"], "t": ["k"]])
        let merged = a.merging(b)
        #expect(merged == RedactionPolicy(
            enabled: false, patterns: ["p1", "p2"], keyNames: ["A", "B"], dropFiles: ["x/*"],
            nonSecretKeys: ["s": ["base-url", "host"], "t": ["k"]]))
    }

    @Test(arguments: [
        ("api/v1/namespaces/*/configmaps.json", "api/v1/namespaces/em/configmaps.json", true),
        ("api/v1/namespaces/*/configmaps.json", "api/v1/namespaces/em/x/configmaps.json", false),
        ("**/log/*.previous.log", "api/v1/namespaces/em/pods/a/log/app.previous.log", true),
        ("**/log/*.previous.log", "api/v1/namespaces/em/pods/a/log/app.log", false),
        ("helm/**", "helm/em/em-runtime.json", true),
        ("checks/http/?.json", "checks/http/a.json", true),
        ("checks/http/?.json", "checks/http/ab.json", false),
    ])
    func dropGlobs(pattern: String, path: String, dropped: Bool) throws {
        let redactor = try Redactor(policy: RedactionPolicy(dropFiles: [pattern]))
        #expect(redactor.drops(path: path) == dropped)
        #expect(redactor.report().droppedFiles == (dropped ? [path] : []))
    }

    @Test func customPatternsUseTheirFirstGroup() throws {
        let redactor = try RedactFixtures.redactor(RedactionPolicy(patterns: ["license=([A-Z0-9-]+)", "X-Internal-[0-9]+"]))
        let out = redactor.redact(line: "license=ABCD-1234 and X-Internal-99 here", file: "f")
        #expect(out == "license=\(redactor.placeholder(for: Array("ABCD-1234".utf8))) and \(redactor.placeholder(for: Array("X-Internal-99".utf8))) here")
        #expect(redactor.report().files["f"] == ["custom-pattern-1": 1, "custom-pattern-2": 1])
        #expect(redactor.report().rules.filter { $0.source == "playbook" }.map(\.id) == ["custom-pattern-1", "custom-pattern-2"])
    }

    @Test func patternWithoutLiteralRunsOnEveryLine() throws {
        let redactor = try RedactFixtures.redactor(RedactionPolicy(patterns: ["[0-9]{3}-[0-9]{2}-[0-9]{4}|ssn"]))
        #expect(redactor.redact(text: "a\nid 123-45-6789 b\n", file: "f").contains("<redacted:"))
    }

    /// A pattern's prefilter literals never hide a real match: some literal occurs in every matching line.
    @Test(arguments: [
        ("license=([A-Z0-9-]+)", "x license=AB-12 y"), ("X-Internal-[0-9]+", "hdr X-Internal-42"), ("a|b", "zzb"),
        ("(foo|bar)baz", "1 barbaz 2"), ("tokens?=", "token=1"), ("\\.secret\\.", "a.secret.b"), ("[abc]+", "cab"),
    ])
    func prefilterLiteralsAreSound(pattern: String, matchingLine: String) throws {
        let compiled = try RedactionPattern(pattern)
        let lower = matchingLine.lowercased()
        #expect(compiled.literals.isEmpty || compiled.literals.contains { lower.contains($0.lowercased()) })
        var found: [Range<Int>] = []
        Array(matchingLine.utf8).withUnsafeBufferPointer { compiled.secrets(in: $0) { found.append($0) } }
        #expect(!found.isEmpty)
    }

    @Test func invalidPatternIsAClearError() {
        let error = #expect(throws: RedactionError.self) {
            try Redactor(policy: RedactionPolicy(patterns: ["ok", "a(b"]))
        }
        guard case .invalidPattern(let pattern, let message)? = error else {
            Issue.record("expected invalidPattern, got \(String(describing: error))")
            return
        }
        #expect(pattern == "a(b" && !message.isEmpty)
        let description = RedactionError.invalidPattern(pattern: "a(b", message: "m").description
        #expect(description.contains("\"a(b\"") && description.contains("playbook"))
    }

    @Test func extraKeyNamesAreSecret() throws {
        let redactor = try RedactFixtures.redactor(RedactionPolicy(keyNames: ["dbConnStr", "LICENSE"]))
        #expect(redactor.redact(line: "APP_DB_CONN_STR=Conn-4001 license: Lic-4002", file: "f")
            == "APP_DB_CONN_STR=\(redactor.placeholder(for: Array("Conn-4001".utf8))) license: \(redactor.placeholder(for: Array("Lic-4002".utf8)))")
    }

    @Test(arguments: [
        ("DB_PASSWORD", true), ("spring.datasource.password", true), ("apiKey", true), ("api-key", true),
        ("client_secret", true), ("ROOT_ENCRYPTION_KEY", true), ("AUTH_SECRET", true), ("aws_secret_access_key", true),
        ("secretName", false), ("existingSecret", false), ("passwordKey", false), ("tokenUrl", false), ("key", false),
        ("LOG_LEVEL", false), ("keycloak", false),
    ])
    func secretNames(name: String, secret: Bool) {
        #expect(SecretNames(extra: []).isSecret(name) == secret)
    }
}
