import ArgumentParser
import EMDiagCore
import Foundation
import Logging
import Synchronization

/// Exit codes of `collect` and `analyze` (a contract for hooks; docs/hooks.md).
enum ExitStatus {
    static let clean: Int32 = 0
    static let findings: Int32 = 1
    static let badInput: Int32 = 2
    static let nothingCollected: Int32 = 3
    static let uploadFailed: Int32 = 4
    static let interrupted: Int32 = 130
}

extension FailOn: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}

/// `--format`, `--report`, `--fail-on`: how the report is shown and what exit code it gives.
struct ReportOptions: ParsableArguments {
    @Option(help: "The report printed on stdout: text, markdown, json or html.")
    var format: ReportFormat = .text

    @Option(name: .customLong("report"), help: "Also write the report to FILE; the format follows the extension (.txt .md .json .html). Repeatable.")
    var reportFiles: [String] = []

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at or above this severity: critical, warning, info or never.")
    var failOn: FailOn = .critical

    func validate() throws {
        for file in reportFiles where ReportFormat(path: file) == nil {
            throw ValidationError("--report \(file): unknown extension; use .txt, .md, .json or .html.")
        }
    }

    /// Prints the report on stdout, writes the report files, and returns the exit code the findings call for.
    func emit(_ report: DiagnosticReport) throws -> Int32 {
        let colour = format == .text && isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let text = format.render(report, colour: colour, width: terminalColumns())
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
        for file in reportFiles {
            guard let fileFormat = ReportFormat(path: file) else { continue }
            do {
                try Data(fileFormat.render(report).utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                printError("emdiag: cannot write the report to \(file): \(error.localizedDescription)")
                return ExitStatus.badInput
            }
        }
        return failOn.isMet(by: report.findings) ? ExitStatus.findings : ExitStatus.clean
    }
}

/// `--playbooks DIR`: folders or files of playbooks added to the built-in pack.
struct PlaybookOptions: ParsableArguments {
    @Option(name: .customLong("playbooks"), help: "A folder (or file) of playbooks to add; a rule with the same id replaces the built-in one. Repeatable.")
    var paths: [String] = []

    /// Loads the catalog; an invalid playbook is bad input (exit 2) with file:line:col.
    func load(extra: [PlaybookSource] = []) throws -> PlaybookCatalog {
        let (sources, readErrors) = PlaybookCatalog.sources(at: paths)
        let names = Set(sources.map { URL(fileURLWithPath: $0.name).lastPathComponent })
        let kept = extra.filter { !names.contains(URL(fileURLWithPath: $0.name).lastPathComponent) }
        let result = PlaybookCatalog.lint(user: kept + sources)
        if let first = (readErrors + result.errors).sorted().first {
            printError("emdiag: \(first)")
            printError("emdiag: invalid playbook; run `emdiag playbooks lint` to see every problem.")
            throw ExitCode(ExitStatus.badInput)
        }
        return result.catalog
    }
}

/// `-q`/`-v`: how much goes to stderr.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing on stderr but errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log every request (method, URL, status; never credentials) on stderr.")
    var verbose = false

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : (quiet ? .error : .warning)
        return logger
    }

    func progress() -> any ProgressReporter {
        ProgressReporters.make(quiet: quiet, isTTY: isatty(STDERR_FILENO) == 1, columns: terminalColumns())
    }
}

/// The terminal's width, or 100 when it is not a terminal.
func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
    return 100
}

/// Runs `work` as a task that SIGINT and SIGTERM cancel. Returns its value, or nil when a signal stopped it.
func cancellableBySignals<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T? {
    let task = Task { try await work() }
    var sources: [any DispatchSourceSignal] = []
    let interrupted = Mutex(false)
    for number in [SIGINT, SIGTERM] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            interrupted.withLock { $0 = true }
            task.cancel()
        }
        source.resume()
        sources.append(source)
    }
    defer { sources.forEach { $0.cancel() } }
    do {
        let value = try await task.value
        return interrupted.withLock { $0 } ? nil : value
    } catch {
        if interrupted.withLock({ $0 }) { return nil }
        throw error
    }
}

/// `--kubeconfig`, `--context`, `-n`: where the cluster is, resolved with kubectl's rules (else in-cluster).
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then the pod's service account).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use.")
    var context: String?

    @Option(name: .shortAndLong, help: "The namespace of the em-runtime release (default: the context's, else default).")
    var namespace: String?

    /// Resolves the endpoint; a bad kubeconfig is bad input (exit 2) naming the file and field.
    func resolve(concurrency: Int = 8) throws -> (KubeConnectionOptions, KubeEndpoint) {
        let options = KubeConnectionOptions(
            kubeconfig: kubeconfig, context: context, namespace: namespace, concurrency: concurrency)
        do {
            return (options, try KubeConfigLoader.resolve(options: options, environment: ProcessInfo.processInfo.environment))
        } catch {
            printError("emdiag: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
    }
}
