import ArgumentParser
import EMDiagCore
import EMDiagSystem

/// `emdiag fetch URL -o FILE` (hidden): downloads one URL with emdiag's own HTTP client and prints status,
/// size and memory use. For support engineers checking connectivity, and for the streaming-memory test.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Download a URL with emdiag's HTTP client (diagnostics).", shouldDisplay: false)

    @Argument(help: "The URL to GET.")
    var url: String

    @Option(name: .shortAndLong, help: "Where to write the body.")
    var output: String

    @Flag(help: "Skip TLS verification.")
    var insecure = false

    func run() async throws {
        let before = ProcessMemory.kilobytes("VmRSS")
        let transport = try CurlTransport(
            configuration: HTTPClientConfiguration(tls: TLSConfiguration(insecureSkipVerify: insecure)))
        let response = try await transport.send(HTTPRequest(url: url), sink: .file(path: output))
        let peak = ProcessMemory.kilobytes("VmHWM")
        print("status=\(response.status) bytes=\(response.bodyBytes) rss_before_kb=\(before) peak_rss_kb=\(peak)")
    }
}
