import ArgumentParser
import EMDiagCore
import Foundation

@main
struct EMDiag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emdiag",
        abstract: "Diagnose a broken em-runtime install on Kubernetes and build a redacted support bundle.",
        discussion: """
            Typical use:
              emdiag collect -n em             diagnose namespace em, write a bundle
              emdiag analyze BUNDLE.tar.gz     the same diagnosis, offline
              emdiag serve BUNDLE.tar.gz       browse a bundle with kubectl

            Exit codes of collect and analyze: 0 clean; 1 a finding at or above
            --fail-on; 2 bad input; 3 nothing collected; 4 upload failed;
            130 interrupted.
            """,
        version: EMDiagVersion.current,
        subcommands: [
            CollectCommand.self, AnalyzeCommand.self, ServeCommand.self, PlaybooksCommand.self, BundleCommand.self,
            RBACCommand.self, VersionCommand.self, FetchCommand.self,
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
