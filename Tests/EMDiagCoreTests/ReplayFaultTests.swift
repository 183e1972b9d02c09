import EMDiagCore
import Foundation
import Testing

@Suite struct ReplayFaultTests {
    @Test func parsesYAMLAndJSONInBothShapes() throws {
        let yaml = """
            rules:
              - path: "^/api/v1/namespaces/[^/]+/pods$"
                method: GET
                status: 503
                retryAfter: 2
                everyNth: 2
              - glob: "/api/v1/namespaces/*/pods/*/log"
                resetAfterBytes: 1024
                latencyMs: 50
            """
        let plan = try FaultPlan.parse(yaml, file: "faults.yaml")
        #expect(plan.rules.count == 2)
        #expect(plan.rules[0] == FaultRule(path: "^/api/v1/namespaces/[^/]+/pods$", method: "GET", status: 503, retryAfter: 2, everyNth: 2))
        #expect(plan.rules[1].resetAfterBytes == 1024)
        let json = try FaultPlan.parse(#"[{"glob":"/version","status":500,"times":1}]"#, file: "faults.json")
        #expect(json.rules == [FaultRule(glob: "/version", status: 500, times: 1)])
    }

    @Test(arguments: [
        ("[{\"path\":\"/x\",\"glob\":\"/x\",\"status\":500}]", "rule 1: give exactly one of path"),
        ("[{\"path\":\"/x\"}]", "rule 1: give at least one of status"),
        ("[{\"path\":\"/x\",\"status\":5000}]", "status 5000 is not an HTTP status code"),
        ("[{\"path\":\"/x\",\"latencyMs\":1},{\"path\":\"(\",\"status\":500}]", "rule 2: path \"(\" is not a valid regular expression"),
        ("[{\"path\":\"/x\",\"status\":500,\"everyNth\":0}]", "everyNth must be at least 1"),
        ("[{\"path\":\"/x\",\"stauts\":500}]", "unknown key \"stauts\""),
        ("[{\"path\":\"/x\",\"latencyMs\":5,\"retryAfter\":1}]", "retryAfter needs a status"),
    ])
    func badRulesAreNamed(text: String, expected: String) {
        do {
            _ = try FaultPlan.parse(text, file: "f.yaml")
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)".hasPrefix("f.yaml: "))
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func everyNthAndTimesCountMatchingRequests() throws {
        let injector = try FaultInjector(plan: FaultPlan(rules: [
            FaultRule(path: "/pods$", method: "get", status: 503, everyNth: 2, times: 2)
        ]))
        let fired = (1...8).map { _ in injector.decide(method: "GET", path: "/api/v1/namespaces/em/pods")?.status }
        #expect(fired == [nil, 503, nil, 503, nil, nil, nil, nil])
        #expect(injector.decide(method: "POST", path: "/api/v1/namespaces/em/pods") == nil)
        #expect(injector.decide(method: "GET", path: "/api/v1/namespaces/em/secrets") == nil)
    }

    @Test func theFirstRuleThatFiresWins() throws {
        let injector = try FaultInjector(plan: FaultPlan(rules: [
            FaultRule(glob: "/api/**", status: 429, retryAfter: 3, times: 1),
            FaultRule(glob: "/api/v1/*", latencyMs: 20),
        ]))
        let first = injector.decide(method: "GET", path: "/api/v1/pods")
        #expect(first?.rule == 1)
        #expect(first?.response?.status == 429)
        #expect(first?.response?.headers == [HTTPHeader("Retry-After", "3")])
        let second = injector.decide(method: "GET", path: "/api/v1/pods")
        #expect(second == FaultAction(rule: 2, latencyMs: 20))
        #expect(second?.response == nil)
        #expect(injector.decide(method: "GET", path: "/api/v1/namespaces/em/pods") == nil)
    }

    @Test func globsMatchWithinOrAcrossSegments() throws {
        let oneSegment = try NSRegularExpression(pattern: FaultRule.regex(fromGlob: "/api/v1/namespaces/*/pods/*/log"))
        let path = "/api/v1/namespaces/em/pods/governance-0/log"
        #expect(oneSegment.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil)
        let deeper = "/api/v1/namespaces/em/x/pods/governance-0/log"
        #expect(oneSegment.firstMatch(in: deeper, range: NSRange(deeper.startIndex..., in: deeper)) == nil)
        let anyDepth = try NSRegularExpression(pattern: FaultRule.regex(fromGlob: "/a.b/**"))
        let matches = { (path: String) in anyDepth.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil }
        #expect(matches("/a.b/x/y/z"))
        #expect(!matches("/aXb/x"))
    }

    @Test func injectedStatusIsAKubernetesStatus() throws {
        let response = try #require(FaultAction(rule: 4, status: 503).response)
        guard case .bytes(let bytes) = response.body else {
            Issue.record("the injected answer is not a JSON body")
            return
        }
        let status = try JSONValue.parse(bytes)
        #expect(status["kind"]?.string == "Status")
        #expect(status["reason"]?.string == "ServiceUnavailable")
        #expect(status["code"]?.int == 503)
    }

    @Test func kubeconfigNamesServerNamespaceAndTrust() throws {
        let plain = ReplayKubeconfig.render(server: "http://127.0.0.1:8080", namespace: "em")
        #expect(plain.contains("    server: \"http://127.0.0.1:8080\"\n"))
        #expect(plain.contains("    namespace: \"em\"\n"))
        #expect(!plain.contains("insecure-skip-tls-verify"))
        let tls = ReplayKubeconfig.render(server: "https://127.0.0.1:8443", namespace: nil, certificateAuthorityPEM: Array("PEM".utf8))
        #expect(tls.contains("certificate-authority-data: UEVN\n"))
        #expect(!tls.contains("namespace:"))
        #expect(ReplayKubeconfig.render(server: "https://h:1", namespace: nil).contains("insecure-skip-tls-verify: true"))
    }
}
