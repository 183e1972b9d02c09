import ArgumentParser
import EMDiagCore
import EMDiagSystem
import Foundation

/// `emdiag bundle`: check a support bundle against its manifest (and, hidden, pack a folder for tests).
struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Check support bundles.",
        subcommands: [Verify.self, Pack.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every file's sha256 and size against manifest.json; exit 1 on any difference.")

        @Argument(help: "A bundle: the .tar.gz written by `emdiag collect`, or its extracted folder.")
        var bundle: String

        func run() async throws {
            let path = bundle
            let (problems, count) = try await BlockingThread.run {
                let opened = try BundleOpener.open(path: path)
                defer { opened.close() }
                return (try BundleOpener.verify(bundle: opened.directory), try opened.directory.manifest()?.files.count ?? 0)
            }
            for problem in problems { print(problem) }
            guard problems.isEmpty else {
                print("\(path): \(problems.count) problem(s) found; the bundle was changed or damaged after it was written.")
                throw ExitCode(1)
            }
            print("\(path): \(count) files match the manifest.")
        }
    }

    /// Packs a folder with the bundle writer; used by tests (a killed writer must leave nothing at OUT).
    struct Pack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a folder into a .tar.gz the way collect does.", shouldDisplay: false)

        @Argument(help: "The folder to pack.")
        var source: String

        @Option(name: .shortAndLong, help: "The .tar.gz to write.")
        var output: String

        func run() async throws {
            let (source, output) = (source, output)
            try await BlockingThread.run { try TarGzWriter().pack(directory: source, to: output) }
        }
    }
}
