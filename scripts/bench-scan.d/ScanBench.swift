// The driver of scripts/bench-scan: runs emdiag's LogScanner (compiled with -O from the same sources) over log
// files with the patterns of a file (one per line), all files in parallel, and prints what it found.
import Foundation

@main
struct ScanBench {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        guard args.count >= 2 else {
            FileHandle.standardError.write(Data("usage: scan-bench PATTERNS_FILE LOG...\n".utf8))
            exit(2)
        }
        let sources = try String(contentsOfFile: args[0], encoding: .utf8).split(separator: "\n").map(String.init)
        let scanner = try LogScanner(patterns: sources.map { LogPattern(regex: try PortableRegex($0)) })
        let bundle = BundleDirectory(root: URL(fileURLWithPath: "/"))
        let jobs = args.dropFirst().map { path in
            LogScanJob(path: String(URL(fileURLWithPath: path).standardizedFileURL.path.dropFirst()), patterns: Array(sources.indices))
        }
        let start = Date()
        let results = try scanner.scanAllBlocking(jobs, in: bundle)
        let seconds = Date().timeIntervalSince(start)
        let bytes = results.map(\.bytes).reduce(0, +)
        let matches = results.flatMap(\.counts.values).reduce(0, +)
        let unfiltered = scanner.patterns.filter { $0.regex.requiredLiterals.isEmpty }.count
        print("files=\(results.count) bytes=\(bytes) patterns=\(sources.count) unfiltered=\(unfiltered) matches=\(matches) seconds=\(String(format: "%.3f", seconds)) MB/s=\(String(format: "%.0f", Double(bytes) / 1e6 / seconds))")
    }
}
