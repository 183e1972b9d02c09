import ArgumentParser
import EMDiagCore
import EMDiagSystem
import Foundation
import Logging

/// `emdiag rbac`: asks the API server (SelfSubjectAccessReview) for every permission the loaded playbooks gather
/// with, and prints which are missing and what evidence and rules each one costs.
struct RBACCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rbac",
        abstract: "Check that the current identity may read everything the playbooks gather.",
        discussion: """
            Exits 0 when every permission is granted, 1 when some are missing (each is printed with the evidence \
            that will be absent and the rules that cannot fire), 2 for bad input (kubeconfig, playbooks), \
            3 when the API server cannot be asked. deploy/rbac.yaml grants exactly these permissions.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var playbooks: PlaybookOptions

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() async throws {
        let catalog = try playbooks.load()
        let (options, endpoint) = try connection.resolve()
        let client = KubeClient(
            endpoint: endpoint, options: options, transportFactory: { try CurlTransport(configuration: $0) },
            logger: Logger(label: "emdiag.rbac") { StreamLogHandler.standardError(label: $0) })
        let report: AccessCheck.Report
        do {
            report = try await AccessCheck.run(catalog: catalog, namespace: endpoint.namespace) { verb, type, namespace, subresource, name in
                try await client.accessReview(verb, type, namespace: namespace, subresource: subresource, name: name)
            }
        } catch {
            printError("emdiag: \(error)")
            throw ExitCode(ExitStatus.nothingCollected)
        }
        print(format == .json ? try report.json() : report.text(identity: endpoint.identity), terminator: "")
        if report.missing > 0 { throw ExitCode(ExitStatus.findings) }
    }
}
