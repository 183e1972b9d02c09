import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// Collection from `emdiag serve --faults FILE` (docs/serve.md): what a later try fixes is retried, what is
/// lost is listed in the manifest and in the report, and the failure is still diagnosed.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FaultCollectTests {
    static let scenario = "migration-conflict"
    static let governance = "em-runtime-governance-qwcf9lg7zf-dcmmv"
    static let utils = "em-runtime-utils-9f674847th-cp7ks"

    /// Collects `scenario` from a server with the fault rules `faults` (YAML); returns the outcome, the
    /// bundle's manifest (nil when no bundle was written) and the server's request log.
    private func collect(
        faults: String, scenario: String = scenario, in sandbox: Sandbox, _ extra: [String] = []
    ) async throws -> (Outcome, Manifest?, [Substring]) {
        let file = try sandbox.write("faults.yaml", faults)
        let (outcome, requests) = try await sandbox.withServe(Repository.scenario(scenario), faults: file, verbose: true) { served in
            (try await sandbox.collect(served, ["--no-http-checks"] + extra), served.child.stderrSoFar())
        }
        let bundle = sandbox.output()
        let manifest = FileManager.default.fileExists(atPath: bundle) ? try await sandbox.manifest(bundle) : nil
        return (outcome, manifest, requests.split(separator: "\n"))
    }

    /// The root cause of `scenario` is found first, for the same resource as in the golden file.
    private func expectDiagnosis(_ report: DiagnosticReport, _ scenario: String = scenario) throws {
        let expected = try #require(try Repository.expectedLiveFindings(scenario).first)
        let root = try #require(report.findings.first)
        #expect(root.id == expected.id, "root cause: \(report.findings.map(\.key))")
        #expect(root.resources.map(\.description) == expected.resources)
    }

    @Test func serverErrorsAndRateLimitsAreRetriedToTheSameFindings() async throws {
        try await Sandbox.with { sandbox in
            let (outcome, manifest, requests) = try await collect(faults: """
                rules:
                  - path: "^/api/v1/namespaces/em/pods$"
                    status: 429
                    retryAfter: 1
                    times: 1
                  - glob: "/**"
                    status: 500
                    everyNth: 3
                """, in: sandbox)
            #expect(outcome.status == 1, "\(outcome)")
            #expect(requests.contains { $0.contains("/namespaces/em/pods") && $0.contains("-> 429 (fault rule") }, "the pod list was rate-limited")
            #expect(requests.contains { $0.contains("/log?") && $0.contains("-> 500 (fault rule") }, "a log fetch failed")
            #expect(requests.filter { $0.contains("-> 500 (fault rule") }.count >= 10)
            let report = try outcome.report()
            let expected = try Repository.expectedLiveFindings(Self.scenario)
            #expect(report.findings.golden == expected, "\(firstDifference(report.findings.golden, expected))")
            #expect(report.collection.isEmpty, "every failed request was retried: \(report.collection)")
            let logs = try await sandbox.open(sandbox.output()) { bundle in
                try bundle.files().filter { $0.contains("/log/") }.map { ($0, try bundle.data($0)) }
            }
            #expect(logs.count == 19)
            for (path, bytes) in logs {
                let original = try Data(contentsOf: Repository.fixtures.appendingPathComponent("\(Self.scenario)/\(path)"))
                #expect(bytes == original, "\(path): a retried log is stored whole, once")
            }
            #expect(manifest?.collection.isEmpty == true)
            #expect(manifest?.partial == false)
        }
    }

    @Test func aLogCutInTheMiddleKeepsTheDiagnosisAndIsListedAsIncomplete() async throws {
        try await Sandbox.with { sandbox in
            // The governance app log is 6,863 bytes; its MultipleHeads line (32) ends at byte 3,053.
            let (outcome, manifest, _) = try await collect(faults: """
                - glob: "/api/v1/namespaces/em/pods/\(Self.governance)/log"
                  resetAfterBytes: 3300
                """, in: sandbox)
            #expect(outcome.status == 1, "\(outcome)")
            let report = try outcome.report()
            try expectDiagnosis(report)
            let cut = report.issues("log Pod/em/\(Self.governance) container=app")
            #expect(cut.count == 2, "the current and the previous log: \(report.collection)")
            #expect(cut.allSatisfy { $0.status == .error && $0.reason.contains("incomplete") })
            #expect(manifest?.collection == report.collection)
            let path = BundleLayout.logPath(namespace: "em", pod: Self.governance, container: "app", previous: true)
            let stored = try await sandbox.open(sandbox.output()) { try $0.data(path) }
            #expect(stored.count >= 3053 && stored.count <= 3300, "the part received is stored: \(stored.count) bytes")
            let original = try Data(contentsOf: Repository.fixtures.appendingPathComponent("\(Self.scenario)/\(path)"))
            #expect(original.starts(with: stored.prefix(3053)))
        }
    }

    @Test func forbiddenSecretsAndApplicationsAreListedAndTheLogDiagnosisHolds() async throws {
        try await Sandbox.with { sandbox in
            let (outcome, manifest, _) = try await collect(faults: """
                rules:
                  - glob: "/api/v1/namespaces/*/secrets/**"
                    status: 403
                  - glob: "/api/v1/namespaces/*/secrets"
                    status: 403
                  - glob: "/apis/argoproj.io/**"
                    status: 403
                  - glob: "/api/v1/namespaces/em/pods/\(Self.utils)/log"
                    status: 404
                """, in: sandbox)
            #expect(outcome.status == 1, "\(outcome)")
            let report = try outcome.report()
            try expectDiagnosis(report)
            let manifestIssues = try #require(manifest).collection
            #expect(manifestIssues == report.collection)

            for item in ["Secret/em/em-runtime-secrets", "Helm release em-runtime", "Application/argocd/em-runtime"] {
                let lost = report.issues(item)
                #expect(!lost.isEmpty && lost.allSatisfy { $0.status == .forbidden && $0.httpStatus == 403 }, "\(item): \(report.collection)")
            }
            let bundleFiles = Set(manifest?.files.map(\.path) ?? [])
            #expect(!bundleFiles.contains("apis/argoproj.io/v1alpha1/namespaces/argocd/applications.json"))

            // The utils pod "deleted" between the list and the log fetch.
            let gone = report.issues("log Pod/em/\(Self.utils)")
            #expect(!gone.isEmpty && gone.allSatisfy { $0.status == .notFound && $0.httpStatus == 404 }, "\(report.collection)")
            #expect(!bundleFiles.contains { $0.contains("/pods/\(Self.utils)/log/") })
        }
    }
}
