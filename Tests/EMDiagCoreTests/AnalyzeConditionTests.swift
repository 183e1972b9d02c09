import Foundation
import Testing

@testable import EMDiagCore

@Suite struct AnalyzeConditionTests {
    @Test func secretValueShapes() {
        func facts(_ text: String) -> SecretValueFacts { SecretValueFacts(value: Data(text.utf8)) }
        #expect(facts("https://em.example.test").problem(.url, length: nil) == nil)
        #expect(facts("em.example.test").problem(.url, length: nil)?.contains("no scheme") == true)
        #expect(facts("ftp://x").problem(.url, length: nil)?.contains("`ftp`") == true)
        #expect(facts("https://em.example.test/ x").problem(.url, length: nil) == "contains whitespace")
        #expect(facts("https://user:pw@em.example.test").url?.hasCredentials == true)
        #expect(facts(String(repeating: "ab", count: 16)).problem(.hex, length: 16) == nil)
        #expect(facts("qJ3n0Bv+u2sTlq8Q4D9x7w==").problem(.hex, length: 16)?.contains("not hex") == true)
        #expect(facts(Data(repeating: 7, count: 32).base64EncodedString()).problem(.base64Text, length: 32) == nil)
        #expect(facts(Data(repeating: 7, count: 16).base64EncodedString()).problem(.base64Text, length: 32)?.contains("16 bytes") == true)
        #expect(SecretValueFacts(storedBase64: "not base64!").problem(.base64, length: nil) == "is not valid base64")
    }

    @Test func inflateMatchesGzip() throws {
        let text = (0..<2000).map { "line \($0) of a helm release manifest with some repetition\n" }.joined()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -9 -c"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(try Inflate.gunzip([UInt8](compressed)) == Array(text.utf8))
        #expect(throws: Inflate.Failure.self) { try Inflate.gunzip([UInt8](compressed.prefix(40))) }
        #expect(throws: Inflate.Failure.self) { try Inflate.gunzip([UInt8](compressed), limit: 1000) }
    }

    @Test func httpCheckResultsDecodeLeniently() throws {
        let stored = try JSONDecoder().decode(HTTPCheckResult.self, from: Data(#"{"url":"https://x/api","status":503,"ok":false,"error":null}"#.utf8))
        #expect(stored.ok == false && stored.status == 503 && stored.name.isEmpty && stored.expectStatus == [200])
        let judged = try JSONDecoder().decode(HTTPCheckResult.self, from: Data(#"{"name":"h","url":"https://x","status":204,"expectStatus":[204]}"#.utf8))
        #expect(judged.ok)
    }

    @Test func labelSelectors() throws {
        let selector = try LabelSelector(parsing: "app=keycloak, tier in (db,cache),!legacy,env!=dev")
        #expect(selector.matches(["app": "keycloak", "tier": "db"]))
        #expect(!selector.matches(["app": "keycloak", "tier": "web"]))
        #expect(!selector.matches(["app": "keycloak", "tier": "db", "legacy": "1"]))
        #expect(!selector.matches(["app": "keycloak", "tier": "db", "env": "dev"]))
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "a b c") }
    }

    @Test func gatherPlansMergeDeterministically() {
        var a = GatherPlan()
        a.secrets = [.init(name: "s", namespace: nil, keys: ["b"], nonSecretKeys: [])]
        a.argoApplications = [.init(namespace: "argocd", names: ["x"])]
        var b = GatherPlan()
        b.secrets = [.init(name: "s", namespace: nil, keys: ["a", "b"], nonSecretKeys: ["a"])]
        b.argoApplications = [.init(namespace: "argocd", names: [])]
        let merged = a.merged(with: b)
        #expect(merged.secrets == [.init(name: "s", namespace: nil, keys: ["a", "b"], nonSecretKeys: ["a"])])
        #expect(merged.argoApplications == [.init(namespace: "argocd", names: [])])
        #expect(merged == b.merged(with: a))
    }

    /// A bundle written by the test: a redacted Secret (facts only), an event with a container fieldPath, a Helm
    /// record stored as `helm/<ns>/<release>.json`, and an Argo CD Application.
    @Test func conditionsOverARedactedBundle() async throws {
        let folder = try AnalyzeTestBundle()
        try folder.list(.pods, namespace: "em", [])
        try folder.list(.secrets, namespace: "em", [AnalyzeTestBundle.json("""
            {"metadata": {"name": "infisical-bootstrap-secret", "namespace": "em"},
             "data": {"ENCRYPTION_KEY": "<redacted:1a2b3c>", "AUTH_SECRET": "<redacted:4d5e6f>"},
             "emdiagFacts": {"ENCRYPTION_KEY": {"base64Valid": true, "length": 24, "isHex": false, "base64TextLength": 16},
                             "AUTH_SECRET": {"base64Valid": true, "length": 44, "isHex": false, "base64TextLength": 32}}}
            """)])
        try folder.list(.events, namespace: "em", [AnalyzeTestBundle.json("""
            {"metadata": {"name": "ev1", "namespace": "em"}, "type": "Warning", "reason": "Failed", "count": 4,
             "involvedObject": {"kind": "Pod", "namespace": "em", "name": "gov-1", "fieldPath": "spec.containers{app}"},
             "message": "Error: couldn't find key base-url in Secret em/em-runtime-secrets"}
            """)])
        try folder.write("helm/em/em-runtime.json", #"[{"version": 1, "info": {"status": "deployed"}}, {"version": 2, "info": {"status": "failed", "description": "Upgrade \"em-runtime\" failed: timed out"}}]"#)
        try folder.list(.argoApplications, namespace: "argocd", [AnalyzeTestBundle.json("""
            {"metadata": {"name": "em-runtime", "namespace": "argocd"},
             "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}, "operationState": {"phase": "Failed", "message": "one or more objects failed to apply"}}}
            """)])
        let analysis = try await Analyzer(catalog: try PlaybookCatalog.load()).analysis(folder.bundle)
        let byID = Dictionary(grouping: analysis.findings, by: \.id)
        let format = try #require(byID["secret-format"]?.first)
        #expect(format.resources.first?.description == "Secret/em/infisical-bootstrap-secret")
        #expect(format.summary.contains("ENCRYPTION_KEY") == false, "summaries name the problem, never the key's value")
        #expect(format.summary.contains("not hex"))
        let missing = try #require(byID["secret-missing"]?.first)
        #expect(missing.resources.first?.description == "Pod/em/gov-1 container=app")
        #expect(missing.evidence.first?.path == "api/v1/namespaces/em/events.json")
        let helm = try #require(byID["helm-release-failed"]?.first)
        #expect(helm.summary == "Helm release em-runtime revision 2 is failed: Upgrade \"em-runtime\" failed: timed out")
        #expect(byID["argocd-out-of-sync"]?.first?.severity == .warning)
    }
}
