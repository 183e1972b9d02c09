import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// The exit codes hooks depend on (docs/hooks.md), from the built binary.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ExitCodeTests {
    @Test func healthyInstallExitsZeroEvenWithFailOnWarning() async throws {
        try await Sandbox.with { sandbox in
            try await sandbox.withServe(Repository.scenario("healthy")) { served in
                let plain = try await sandbox.collect(served, to: "a.tar.gz")
                #expect(plain.status == 0, "\(plain)")
                #expect(try !plain.report().findings.contains { $0.severity >= .warning })
                let strict = try await sandbox.collect(served, to: "b.tar.gz", ["--fail-on", "warning"])
                #expect(strict.status == 0, "\(strict)")
            }
        }
    }

    @Test func failingScenarioExitsOneUnlessFailOnNever() async throws {
        try await Sandbox.with { sandbox in
            try await sandbox.withServe(Repository.scenario("oom-killed")) { served in
                let failing = try await sandbox.collect(served, to: "a.tar.gz")
                #expect(failing.status == 1, "\(failing)")
                #expect(try failing.report().findings.first?.id == "oom-killed")
                let never = try await sandbox.collect(served, to: "b.tar.gz", ["--fail-on", "never"])
                #expect(never.status == 0, "\(never)")
                #expect(try never.report().findings.first?.id == "oom-killed", "--fail-on changes the exit code, not the report")
            }
        }
    }

    @Test func badUsageAndInputExitTwo() async throws {
        try await Sandbox.with { sandbox in
            let unknownFlag = try await sandbox.emdiag(["collect", "--bogus"])
            #expect(unknownFlag.status == 2, "\(unknownFlag)")
            #expect(unknownFlag.stderr.contains("--bogus"))

            let missing = sandbox.folder.url.appendingPathComponent("no-such-kubeconfig").path
            let noKubeconfig = try await sandbox.emdiag(["collect", "--kubeconfig", missing, "-o", sandbox.output()])
            #expect(noKubeconfig.status == 2, "\(noKubeconfig)")
            #expect(noKubeconfig.stderr.contains(missing))

            let garbage = try sandbox.write("garbage.kubeconfig", "clusters: [ {{ this is not a kubeconfig\n")
            let badKubeconfig = try await sandbox.emdiag(["collect", "--kubeconfig", garbage, "-o", sandbox.output()])
            #expect(badKubeconfig.status == 2, "\(badKubeconfig)")
            #expect(badKubeconfig.stderr.contains("garbage.kubeconfig"))

            try sandbox.write("playbooks/broken.yaml", "rules:\n  - id: broken\n    when: [unclosed\n")
            let playbooks = sandbox.folder.url.appendingPathComponent("playbooks").path
            let badPlaybook = try await sandbox.emdiag(["collect", "--kubeconfig", garbage, "--playbooks", playbooks, "-o", sandbox.output()])
            #expect(badPlaybook.status == 2, "\(badPlaybook)")
            #expect(badPlaybook.stderr.contains("broken.yaml"), "the message names the playbook file: \(badPlaybook.stderr)")
            let analyzeBadPlaybook = try await sandbox.emdiag(["analyze", Repository.scenario("healthy"), "--playbooks", playbooks])
            #expect(analyzeBadPlaybook.status == 2, "\(analyzeBadPlaybook)")

            let notABundle = try sandbox.write("notes.txt", "just some text\n")
            let analyzeText = try await sandbox.emdiag(["analyze", notABundle])
            #expect(analyzeText.status == 2, "\(analyzeText)")
            #expect(analyzeText.stderr.contains("notes.txt"))
            let analyzeFolder = try await sandbox.emdiag(["analyze", sandbox.home.path])
            #expect(analyzeFolder.status == 2, "\(analyzeFolder)")

            #expect(sandbox.entries(sandbox.out).isEmpty, "no bundle on bad input: \(sandbox.entries(sandbox.out))")
        }
    }

    /// Exit 3: nothing could be collected, and nothing is left in the output folder or the staging area.
    private func expectNothingCollected(_ outcome: Outcome, in sandbox: Sandbox, mentioning text: String) {
        #expect(outcome.status == 3, "\(outcome)")
        #expect(outcome.stderr.contains(text), "stderr names \(text): \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty, "no report when nothing was collected")
        #expect(sandbox.entries(sandbox.out).isEmpty, "no bundle and no .partial file: \(sandbox.entries(sandbox.out))")
        #expect(sandbox.entries(sandbox.tmp).isEmpty, "the staging folder is removed: \(sandbox.entries(sandbox.tmp))")
    }

    @Test func closedPortExitsThreeWithoutBundle() async throws {
        try await Sandbox.with { sandbox in
            let server = try await TestHTTPServer.start { _ in .text("") }
            let port = server.port
            await server.shutdown()
            let kubeconfig = try sandbox.write(
                "closed.kubeconfig", ReplayKubeconfig.render(server: "http://127.0.0.1:\(port)", namespace: "em"))
            let outcome = try await sandbox.emdiag(["collect", "--kubeconfig", kubeconfig, "-o", sandbox.output(), "-q"])
            expectNothingCollected(outcome, in: sandbox, mentioning: "127.0.0.1:\(port)")
        }
    }

    @Test func rejectedCredentialsExitThreeWithoutBundle() async throws {
        try await Sandbox.with { sandbox in
            let unauthorized = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
            try await withHTTPServer({ _ in .json(unauthorized, status: 401) }) { server in
                let kubeconfig = try sandbox.write(
                    "rejected.kubeconfig", ReplayKubeconfig.render(server: server.baseURL, namespace: "em"))
                let outcome = try await sandbox.emdiag(["collect", "--kubeconfig", kubeconfig, "-o", sandbox.output(), "-q"])
                expectNothingCollected(outcome, in: sandbox, mentioning: "Unauthorized")
            }
        }
    }

    @Test func missingNamespaceExitsThreeWithoutBundle() async throws {
        try await Sandbox.with { sandbox in
            try await sandbox.withServe(Repository.scenario("healthy")) { served in
                let outcome = try await sandbox.emdiag(
                    ["collect", "--kubeconfig", served.kubeconfig, "-n", "nope", "-o", sandbox.output(), "-q"])
                expectNothingCollected(outcome, in: sandbox, mentioning: "\"nope\"")
            }
        }
    }
}
