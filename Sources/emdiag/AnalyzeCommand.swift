import ArgumentParser
import EMDiagCore
import EMDiagSystem
import Foundation

/// `emdiag analyze BUNDLE`: the same diagnosis, offline, from a bundle.
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Diagnose a bundle offline with today's playbooks (plus those it was collected with).",
        discussion: """
            BUNDLE is a .tar.gz written by `emdiag collect`, or its extracted folder. The bundle's own user \
            playbooks are loaded too, so a rule given at collection time still runs; --playbooks given now win.

            Exit codes: 0 no finding at or above --fail-on; 1 such a finding; 2 bad usage or input (not a bundle, invalid playbook).
            """)

    @Argument(help: "The bundle: a .tar.gz or a folder.")
    var bundle: String

    @OptionGroup var report: ReportOptions
    @OptionGroup var playbooks: PlaybookOptions

    func run() async throws {
        let path = bundle
        let opened: OpenedBundle
        do {
            opened = try await BlockingThread.run("emdiag-open") { try BundleOpener.open(path: path) }
        } catch {
            printError("emdiag: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        defer { opened.close() }
        let directory = opened.directory
        let stored = directory.files(under: "\(BundleLayout.playbooksDirectory)/user").compactMap { file -> PlaybookSource? in
            guard let data = try? directory.data(file) else { return nil }
            return PlaybookSource(name: "\(path)!/\(file)", text: String(decoding: data, as: UTF8.self))
        }
        let catalog = try playbooks.load(extra: stored)
        let diagnostic: DiagnosticReport
        do {
            let manifest = try directory.manifest()
            let findings = try await Analyzer(catalog: catalog, referenceTime: manifest?.createdAt).analyze(directory)
            diagnostic = try DiagnosticReport.build(
                bundle: directory, findings: findings, manifest: manifest, bundlePath: path,
                now: manifest?.createdAt ?? Date())
        } catch {
            printError("emdiag: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        let status = try report.emit(diagnostic)
        if status != 0 { throw ExitCode(status) }
    }
}
