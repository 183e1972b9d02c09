import Foundation
import Testing

@testable import EMDiagCore

/// One kind of playbook mistake each, with the exact file:line:col the linter must report.
@Suite struct PlaybookLinterTests {
    /// A valid playbook; `rule` lines start at line 6 (`  - id: my-rule`).
    static func playbook(_ rule: String = validRule, name: String = "test") -> String {
        """
        apiVersion: emdiag.io/v1
        kind: Playbook
        metadata:
          name: \(name)
        rules:
        \(rule)
        """
    }

    static let validRule = """
          - id: my-rule
            severity: warning
            title: Something broke
            summary: '{pod} broke: {database}'
            remedy: Fix it.
            examples: {fires: [a], quiet: [b]}
            match:
              - log: {pattern: 'database "(?P<database>[^"]+)" does not exist'}
        """

    func lint(_ texts: [String: String], scenarios: Set<String>? = nil) -> [PlaybookError] {
        let sources = texts.sorted { $0.key < $1.key }.map { PlaybookSource(name: $0.key, text: $0.value) }
        return PlaybookCatalog.lint(user: sources, builtIn: [], scenarios: scenarios).errors
    }

    func expectOne(_ errors: [PlaybookError], _ kind: PlaybookError.Kind, at location: String, containing text: String) {
        #expect(errors.count == 1, "\(errors)")
        guard let error = errors.first else { return }
        #expect(error.kind == kind)
        #expect(error.description.hasPrefix("\(location): error: "), "\(error)")
        #expect(error.description.contains(text), "\(error)")
    }

    @Test func validPlaybookHasNoErrors() throws {
        let result = PlaybookCatalog.lint(user: [PlaybookSource(name: "t.yaml", text: Self.playbook())], builtIn: [])
        #expect(result.errors.isEmpty, "\(result.errors)")
        let rule = try #require(result.catalog.rule("my-rule"))
        #expect(rule.location.description == "t.yaml:6:5")
        guard case .log(let log) = rule.match.first else { Issue.record("expected a log condition"); return }
        #expect(log.pattern.captureNames.map(\.name) == ["database"])
    }

    @Test func unknownKey() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "    remedy: Fix it.", with: "    remedy: Fix it.\n    colour: red"))
        expectOne(lint(["t.yaml": text]), .unknownKey, at: "t.yaml:11:5", containing: "unknown key `colour`")
    }

    @Test func misspeltKeyGetsASuggestion() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "    remedy:", with: "    remdy:"))
        let errors = lint(["t.yaml": text])
        #expect(errors.contains { $0.kind == .unknownKey && $0.description.contains("Did you mean `remedy`?") && $0.line == 10 })
        #expect(errors.contains { $0.kind == .missingField && $0.description.contains("`remedy`") })
    }

    @Test func duplicateIdsAcrossPlaybooks() {
        let errors = lint(["a.yaml": Self.playbook(name: "a"), "b.yaml": Self.playbook(name: "b")])
        expectOne(errors, .duplicateID, at: "b.yaml:6:5", containing: "duplicate rule id \"my-rule\" (first defined at a.yaml:6:5)")
    }

    @Test func badRegexIsCompiledAndLocated() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(
            of: #"- log: {pattern: 'database "(?P<database>[^"]+)" does not exist'}"#, with: "- log: {pattern: 'a(?=b)'}"))
        expectOne(lint(["t.yaml": text]), .badRegex, at: "t.yaml:13:26", containing: "lookahead")
    }

    @Test func regexThatPOSIXRefusesIsAnError() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(
            of: #"- log: {pattern: 'database "(?P<database>[^"]+)" does not exist'}"#, with: "- log: {pattern: 'a{3,1}'}"))
        let errors = lint(["t.yaml": text])
        #expect(errors.contains { $0.kind == .badRegex && $0.line == 13 && $0.description.contains("regcomp") }, "\(errors)")
    }

    @Test func unknownCondition() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "- log: {", with: "- logs: {"))
        expectOne(lint(["t.yaml": text]), .unknownCondition, at: "t.yaml:13:9", containing: "unknown condition `logs` in rule \"my-rule\". Did you mean `log`?")
    }

    @Test func wrongType() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "title: Something broke", with: "title: [a, b]"))
        expectOne(lint(["t.yaml": text]), .wrongType, at: "t.yaml:8:12", containing: "`title` in rule \"my-rule\" must be a string")
    }

    @Test func missingField() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "    remedy: Fix it.\n", with: ""))
        expectOne(lint(["t.yaml": text]), .missingField, at: "t.yaml:6:5", containing: "rule \"my-rule\" needs the field `remedy`")
    }

    @Test func invalidSeverity() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "severity: warning", with: "severity: fatal"))
        expectOne(lint(["t.yaml": text]), .invalidValue, at: "t.yaml:7:15", containing: "must be one of info, warning, critical")
    }

    @Test func examplesMustNameExistingScenarios() {
        expectOne(lint(["t.yaml": Self.playbook()], scenarios: ["a"]), .unknownScenario, at: "t.yaml:6:5", containing: "example scenario `b`")
    }

    @Test func explainsMustNameKnownRules() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "    match:", with: "    explains: [{rule: nope}]\n    match:"))
        expectOne(lint(["t.yaml": text]), .unknownRule, at: "t.yaml:6:5", containing: "explains `nope`")
    }

    @Test func summaryPlaceholdersMustBeProvided() {
        let text = Self.playbook(Self.validRule.replacingOccurrences(of: "{database}", with: "{table}"))
        expectOne(lint(["t.yaml": text]), .unknownPlaceholder, at: "t.yaml:9:14", containing: "`{table}`")
    }

    @Test func yamlSyntaxErrorIsLocated() {
        let errors = lint(["t.yaml": "apiVersion: emdiag.io/v1\nkind: Playbook\nrules: [\n  - a\n"])
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .syntax)
        #expect(errors.first?.line ?? 0 >= 3, "\(errors)")
    }

    @Test func userRuleReplacesBuiltInRuleWithTheSameID() throws {
        let builtIn = PlaybookSource(name: "builtin.yaml", text: Self.playbook(name: "builtin"))
        let user = PlaybookSource(name: "mine.yaml", text: Self.playbook(Self.validRule.replacingOccurrences(of: "severity: warning", with: "severity: info"), name: "mine"))
        let result = PlaybookCatalog.lint(user: [user], builtIn: [builtIn])
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.catalog.rules.count == 1)
        #expect(result.catalog.rule("my-rule")?.playbook == "mine")
        #expect(result.catalog.rule("my-rule")?.severity == .info)
    }

    @Test func loadThrowsTheFirstErrorFromAFolder() throws {
        let folder = try AnalyzeTestBundle()
        try folder.write("pb/bad.yaml", Self.playbook(Self.validRule.replacingOccurrences(of: "- log: {", with: "- logs: {")))
        #expect(throws: PlaybookError.self) { try PlaybookCatalog.load(paths: [folder.root.appendingPathComponent("pb").path], includeBuiltIn: false) }
    }
}

/// The built-in pack: embedded copy up to date, lint-clean, the public rule ids present, every rule with examples.
@Suite struct PlaybookBuiltInTests {
    static let playbooksFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Playbooks")

    @Test func embeddedCopyIsNotStale() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.playbooksFolder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(BuiltInPlaybooks.files.map(\.name) == names, "run scripts/embed-playbooks")
        for (name, text) in BuiltInPlaybooks.files {
            let onDisk = try String(contentsOf: Self.playbooksFolder.appendingPathComponent(name), encoding: .utf8)
            #expect(text == onDisk, "Playbooks/\(name) changed: run scripts/embed-playbooks")
        }
    }

    @Test func builtInPackLintsClean() {
        let result = PlaybookCatalog.lint(user: [])
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description).joined(separator: "\n"))")
    }

    static let publicIDs = [
        "migration-conflict", "migration-missing-revision", "missing-extension", "missing-database", "database-auth-failed",
        "database-unreachable", "redis-unreachable", "redis-auth-failed", "secret-missing", "secret-format",
        "base-url-invalid", "base-url-mismatch", "init-waiting", "infra-unhealthy", "pod-unschedulable", "crash-loop",
        "oom-killed", "image-pull-failed", "helm-release-failed", "argocd-out-of-sync", "health-endpoint-failed",
    ]

    @Test func everyPublicRuleIDIsDefinedAndDocumented() throws {
        let catalog = try PlaybookCatalog.load()
        let docs = try String(contentsOf: Self.playbooksFolder.deletingLastPathComponent().appendingPathComponent("docs/playbooks.md"), encoding: .utf8)
        for id in Self.publicIDs {
            #expect(catalog.rule(id) != nil, "missing rule \(id)")
        }
        for rule in catalog.rules {
            #expect(docs.contains("`\(rule.id)`"), "docs/playbooks.md does not document \(rule.id)")
            #expect(!rule.examples.fires.isEmpty && !rule.examples.quiet.isEmpty, "\(rule.id) needs fires and quiet examples")
        }
    }

    @Test func everyConditionKindIsDocumentedAndParses() throws {
        let docs = try String(contentsOf: Self.playbooksFolder.deletingLastPathComponent().appendingPathComponent("docs/playbooks.md"), encoding: .utf8)
        for kind in ConditionKind.allCases {
            #expect(docs.contains("`\(kind.rawValue)`"), "docs/playbooks.md does not document the \(kind.rawValue) condition")
            #expect(!kind.documentation.isEmpty && !kind.fields.isEmpty)
        }
    }

    @Test func gatherPlanAndRedactionAreMerged() throws {
        let catalog = try PlaybookCatalog.load()
        let plan = catalog.gatherPlan
        #expect(plan.resources.contains { $0.type == .pods && $0.namespace == nil })
        #expect(plan.secrets.first { $0.name == "em-runtime-secrets" }?.nonSecretKeys == ["base-url"])
        #expect(plan.helmReleases.map(\.name) == ["em-runtime"])
        #expect(plan.argoApplications.first?.namespace == "argocd")
        #expect(plan.httpChecks.first?.url == "{base-url}/api/governance/health")
        #expect(plan.logs.first.map { $0.initContainers && $0.previous && $0.current } == true)
        #expect(plan.permissions.contains { $0.verb == "get" && $0.resource == "secrets" && $0.resourceName == "em-runtime-secrets" })
        #expect(catalog.redaction.keyNames.contains("ENCRYPTION_KEY"))
    }

    @Test func redactionSectionIsParsed() throws {
        let text = PlaybookLinterTests.playbook().replacingOccurrences(
            of: "rules:", with: "redaction:\n  patterns: ['lic-[0-9a-f]{8}']\n  keyNames: [licenseKey]\n  dropFiles: ['api/v1/namespaces/*/configmaps.json']\nrules:")
        let result = PlaybookCatalog.lint(user: [PlaybookSource(name: "t.yaml", text: text)], builtIn: [])
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.catalog.redaction == RedactionPolicyAdditions(
            patterns: ["lic-[0-9a-f]{8}"], keyNames: ["licenseKey"], dropFiles: ["api/v1/namespaces/*/configmaps.json"]))
    }

    @Test func explainNamesMeaningRemedyAndExamples() throws {
        let rule = try #require(try PlaybookCatalog.load().rule("migration-conflict"))
        let text = PlaybookExplainer.explain(rule)
        #expect(text.hasPrefix("migration-conflict (critical): "))
        #expect(text.contains("What to do:"))
        #expect(text.contains("fires in: migration-conflict"))
        #expect(text.contains("log /"))
    }

    /// Lint notes the patterns that slow the scan (a literal under 5 bytes, or none); the built-in pack has none.
    @Test func scanCostNotesNameSlowPatterns() throws {
        /// An 8-line rule with one log condition.
        func logRule(_ id: String, _ pattern: String) -> String {
            """
                  - id: \(id)
                    severity: info
                    title: Slow
                    summary: '{pod}'
                    remedy: Fix it.
                    examples: {fires: [a], quiet: [b]}
                    match:
                      - log: {pattern: '\(pattern)'}
                """
        }
        let rules = [PlaybookLinterTests.validRule, logRule("short-literal", "ERR [0-9]+"), logRule("no-literal", "[0-9]+ [a-z]+")]
            .joined(separator: "\n")
        let result = PlaybookCatalog.lint(user: [PlaybookSource(name: "slow.yaml", text: PlaybookLinterTests.playbook(rules))], builtIn: [])
        #expect(result.errors.isEmpty, "\(result.errors)")
        let notes = result.catalog.scanCostNotes
        #expect(notes.count == 2, "\(notes)")
        #expect(notes.first?.hasPrefix("slow.yaml:14:") == true && notes.first?.contains("`err `") == true, "\(notes)")
        #expect(notes.last?.hasPrefix("slow.yaml:22:") == true && notes.last?.contains("no literal") == true, "\(notes)")
        #expect(PlaybookCatalog.lint(user: []).catalog.scanCostNotes == [])
    }
}
