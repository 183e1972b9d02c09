import ArgumentParser
import EMDiagCore
import Foundation

@main
struct EMDiag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emdiag",
        abstract: "Diagnose a broken em-runtime install on Kubernetes and build a redacted support bundle.",
        version: EMDiagVersion.current,
        subcommands: [
            CollectCommand.self, AnalyzeCommand.self, ServeCommand.self, PlaybooksCommand.self, BundleCommand.self,
            VersionCommand.self, FetchCommand.self,
        ]
    )

    /// Runs the command; usage errors (unknown flag, bad value) exit 2, as the command-line contract says,
    /// instead of ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print emdiag's version.")
    func run() {
        print("emdiag \(EMDiagVersion.current)")
    }
}
