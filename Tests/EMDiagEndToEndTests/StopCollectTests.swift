import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// `--timeout` and SIGINT while logs are being fetched from a slowed-down `emdiag serve`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StopCollectTests {
    static let postgresLog = "/api/v1/namespaces/em/pods/em-runtime-postgresql-0/log"

    /// One log hangs past the budget: the bundle is still written, complete and readable, marked partial, with
    /// the log listed as timed out; the other logs made it in, so the diagnosis and its exit code stand.
    @Test func timeoutWritesACompletePartialBundle() async throws {
        try await Sandbox.with { sandbox in
            let faults = try sandbox.write("faults.yaml", """
                - glob: "\(Self.postgresLog)"
                  latencyMs: 60000
                """)
            let collected = try await sandbox.withServe(Repository.scenario("migration-conflict"), faults: faults) { served in
                try await sandbox.collect(served, ["--no-http-checks", "--timeout", "5s"])
            }
            let report = try collected.report()
            #expect(collected.status == (report.findings.contains { $0.severity == .critical } ? 1 : 0), "\(collected)")
            #expect(report.findings.first?.id == "migration-conflict", "\(report.findings.map(\.key))")
            #expect(report.partial)
            let timedOut = report.issues("log Pod/em/em-runtime-postgresql-0")
            #expect(!timedOut.isEmpty && timedOut.allSatisfy { $0.status == .timeout }, "\(report.collection)")
            #expect(collected.stderr.contains("partial"))

            let verified = try await sandbox.emdiag(["bundle", "verify", sandbox.output()])
            #expect(verified.status == 0, "\(verified.text)")
            let manifest = try await sandbox.manifest(sandbox.output())
            #expect(manifest.partial)
            #expect(manifest.collection == report.collection)
            #expect(!manifest.files.contains { $0.path.contains("em-runtime-postgresql-0/log/") })
            #expect(manifest.files.contains { $0.path.hasSuffix("em-runtime-governance-qwcf9lg7zf-dcmmv/log/app.previous.log") })
            #expect(sandbox.entries(sandbox.out) == ["bundle.tar.gz"], "no .partial leftovers")
        }
    }

    /// SIGINT while the logs hang: exit 130, nothing at the output path, no `.partial-` file beside it, and the
    /// staging folder removed.
    @Test func interruptLeavesNothingBehind() async throws {
        try await Sandbox.with { sandbox in
            let faults = try sandbox.write("faults.yaml", """
                - glob: "/api/v1/namespaces/*/pods/*/log"
                  latencyMs: 30000
                """)
            let interrupted = try await sandbox.withServe(Repository.scenario("migration-conflict"), faults: faults, verbose: true) { served in
                let collect = try sandbox.start(
                    ["collect", "--kubeconfig", served.kubeconfig, "-n", "em", "-o", sandbox.output(), "--no-http-checks"])
                // The pod list has been answered: collect is gathering, and its log requests now hang.
                while !served.child.stderrSoFar().contains("/api/v1/namespaces/em/pods") {
                    guard collect.isRunning else { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(200))
                collect.signal(SIGINT)
                return try await collect.wait()
            }
            #expect(interrupted.status == 130, "\(interrupted)")
            #expect(interrupted.stdout.isEmpty, "no report after an interrupt")
            #expect(interrupted.stderr.contains("interrupted"))
            #expect(!FileManager.default.fileExists(atPath: sandbox.output()))
            #expect(sandbox.entries(sandbox.out).isEmpty, "no .partial leftovers: \(sandbox.entries(sandbox.out))")
            #expect(sandbox.entries(sandbox.tmp).isEmpty, "the staging folder is removed: \(sandbox.entries(sandbox.tmp))")
        }
    }
}
