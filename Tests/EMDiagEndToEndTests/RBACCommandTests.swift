import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// `emdiag rbac` as a child process against a TLS test double that answers SelfSubjectAccessReviews.
@Suite(.serialized) struct RBACCommandTests {
    /// Allows everything but Secrets, for the bearer token `t0ken` only.
    static func reviewer(_ request: TestRequest) -> TestResponse {
        guard request.method == "POST", request.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            request.header("Authorization") == "Bearer t0ken", let review = try? JSONValue.parse(request.body),
            let attributes = review[path: "spec.resourceAttributes"]
        else { return .json(#"{"kind":"Status","code":404,"message":"not found"}"#, status: 404) }
        let allowed = attributes["resource"]?.string != "secrets"
        let reason = allowed ? "" : #","reason":"no RBAC policy matched""#
        return .json(#"{"kind":"SelfSubjectAccessReview","status":{"allowed":\#(allowed)\#(reason)}}"#, status: 201)
    }

    static func rbac(_ arguments: [String]) async throws -> TestChildResult {
        let folder = try TemporaryFolder("rbac-cli")
        defer { folder.remove() }
        let pki = try TestCertificates.make(in: folder.url.appendingPathComponent("pki"))
        let server = try await TestHTTPServer.start(tls: TestTLS(pki)) { reviewer($0) }
        let kubeconfig = try EndToEnd.kubeconfig(in: folder, server: server.baseURL, ca: pki.ca.certificatePath, token: "t0ken")
        let result = try await TestChildProcess.run(
            try EndToEnd.binary(), ["rbac", "--kubeconfig", kubeconfig] + arguments, environment: ["HOME": folder.path])
        await server.shutdown()
        return result
    }

    @Test(.timeLimit(.minutes(2))) func deniedSecretsAreNamedWithTheirConsequence() async throws {
        let result = try await Self.rbac([])
        #expect(result.status == 1, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("in namespace em: "))
        #expect(out.contains("3 missing."))
        #expect(out.contains("ok      get pods/log in em"))
        #expect(out.contains("""
            MISSING get secrets/em-runtime-secrets in em
                    server: no RBAC policy matched
                    Absent: HTTP check governance-health (GET {base-url}/api/governance/health, URL from Secret em-runtime-secrets); \
            Secret em-runtime-secrets (keys base-url). Rules that cannot fire: base-url-mismatch, health-endpoint-failed. \
            Rules that lose some of their signals: base-url-invalid, secret-missing.
            """))
        #expect(out.contains("MISSING list secrets in em"))
        #expect(out.contains("Rules that cannot fire: helm-release-failed."))
    }

    @Test(.timeLimit(.minutes(2))) func jsonNamesEachPermissionAndItsImpact() async throws {
        let result = try await Self.rbac(["--format", "json", "-n", "other"])
        #expect(result.status == 1, "\(result.stderr)")
        let json = try JSONValue.parse(Array(result.stdout.utf8))
        #expect(json["namespace"]?.string == "other")
        #expect(json["missing"]?.int == 3)
        let denied = (json["entries"]?.array ?? []).filter { $0["allowed"]?.bool == false }
        #expect(denied.compactMap { $0["checked"]?.string } == [
            "list secrets in other", "get secrets/em-runtime-secrets in other", "get secrets/infisical-bootstrap-secret in other",
        ])
        #expect(denied.dropFirst().first?[path: "impact.rulesThatCannotFire"]?.array.compactMap(\.string) == ["base-url-mismatch", "health-endpoint-failed"])
    }

    @Test(.timeLimit(.minutes(2))) func badInputExitsTwoAndAnUnreachableServerThree() async throws {
        let folder = try TemporaryFolder("rbac-cli")
        defer { folder.remove() }
        let binary = try EndToEnd.binary()
        let missing = try await TestChildProcess.run(
            binary, ["rbac", "--kubeconfig", "\(folder.path)/nope"], environment: ["HOME": folder.path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("\(folder.path)/nope"))
        let pki = try TestCertificates.make(in: folder.url.appendingPathComponent("pki"))
        let kubeconfig = try EndToEnd.kubeconfig(in: folder, server: "https://127.0.0.1:1", ca: pki.ca.certificatePath, token: "t")
        let unreachable = try await TestChildProcess.run(binary, ["rbac", "--kubeconfig", kubeconfig], environment: ["HOME": folder.path])
        #expect(unreachable.status == 3)
        #expect(unreachable.stdout.isEmpty)
    }
}
