import ArgumentParser
import EMDiagCore

@main
struct EMDiag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emdiag",
        abstract: "Diagnose a broken em-runtime install on Kubernetes and build a redacted support bundle.",
        version: EMDiagVersion.current,
        subcommands: [
            VersionCommand.self, ServeCommand.self, PlaybooksCommand.self, BundleCommand.self, FetchCommand.self,
        ]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print emdiag's version.")
    func run() {
        print("emdiag \(EMDiagVersion.current)")
    }
}
