import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// What goes where: the report alone on stdout, progress on stderr, `--report FILE` by extension, `-q`, colour.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReportOutputTests {
    static let escape = "\u{1B}["

    @Test func reportFilesFollowTheirExtensionAndStdoutCarriesOnlyTheReport() async throws {
        try await Sandbox.with { sandbox in
            let files = ["r.md", "r.json", "r.html", "r.txt"].map { sandbox.output($0) }
            let collected = try await sandbox.withServe(Repository.scenario("migration-conflict")) { served in
                try await sandbox.collect(served, files.flatMap { ["--report", $0] })
            }
            #expect(collected.status == 1, "\(collected)")
            let report = try collected.report()
            #expect(!collected.stderr.isEmpty, "progress goes to stderr")
            #expect(collected.stderr.contains("bundle written to \(sandbox.output())"))
            #expect(!collected.stderr.contains(Self.escape), "stderr is not a terminal: plain progress lines")

            let texts = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
            let (markdown, json, html, text) = (texts[0], texts[1], texts[2], texts[3])
            #expect(try DiagnosticReport.decode(json: Data(json.utf8)) == report)
            #expect(markdown.hasPrefix("#") && markdown.contains("migration-conflict"))
            #expect(html.lowercased().contains("<html") && html.contains("migration-conflict"))
            #expect(!html.contains("src=\"http") && !html.contains("<link"), "self-contained: nothing loaded from the network")
            #expect(!text.contains("<html") && !text.hasPrefix("{") && text.contains("migration-conflict"))
            #expect(!texts.contains { $0.contains(Self.escape) }, "report files never carry ANSI codes")
            #expect(Set(texts).count == 4)
        }
    }

    @Test func quietPrintsNothingOnStderrAndTextHasNoColourOffATerminal() async throws {
        try await Sandbox.with { sandbox in
            let collected = try await sandbox.withServe(Repository.scenario("healthy")) { served in
                try await sandbox.collect(served, ["-q", "--format", "text"])
            }
            #expect(collected.status == 0, "\(collected)")
            #expect(collected.stderr.isEmpty, "-q: \(collected.stderr)")
            #expect(!collected.text.isEmpty && !collected.text.contains(Self.escape))
            #expect(FileManager.default.fileExists(atPath: sandbox.output()))
        }
    }

    /// On a terminal (`script` gives stdout a pty) the text report is coloured, unless `NO_COLOR` is set.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func colourOnlyOnATerminalAndNeverWithNoColor() async throws {
        try await Sandbox.with { sandbox in
            try await sandbox.withServe(Repository.scenario("oom-killed")) { served in
                func onTerminal(_ name: String, _ environment: [String: String]) async throws -> String {
                    let command = [sandbox.emdiag, "collect", "--kubeconfig", served.kubeconfig, "-n", "em",
                                   "-o", sandbox.output(name), "-q", "--no-http-checks"].joined(separator: " ")
                    let outcome = try await TestChildProcess.run(
                        "/usr/bin/script", ["-qec", command, "/dev/null"], environment: sandbox.environment(environment))
                    #expect(outcome.status == 1, "\(outcome)")
                    return outcome.text
                }
                let coloured = try await onTerminal("a.tar.gz", [:])
                #expect(coloured.contains(Self.escape), "a terminal gets colour")
                #expect(coloured.contains("oom-killed"))
                let plain = try await onTerminal("b.tar.gz", ["NO_COLOR": "1"])
                #expect(!plain.contains(Self.escape), "NO_COLOR: \(plain.prefix(200))")
                #expect(plain.contains("oom-killed"))
            }
        }
    }
}
