import EMDiagCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 7's "Must show", through the real programs: the built `emdiag serve` answers for a fixture cluster and
/// the built `emdiag collect` (child processes, throwaway HOME, `--no-http-checks`) gathers from it. The bundle is
/// gunzipped whole by the system `gzip` (every byte of every member and tar header is searched) and unpacked by the
/// system `tar` for the per-file checks.
///
/// `Fixtures/planted-secrets` (built by `Fixtures/scripts/make-planted-secrets`) is migration-conflict with a
/// distinctive fake secret in every form the issue names; its `planted.json` lists each value, the rule that must
/// hide it and the bundle file where that rule must count it.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct RedactionEndToEndTests {
    static let planted = "planted-secrets"

    // MARK: - Planted secrets

    @Test func noPlantedValueReachesTheBundleOrAnyReport() async throws {
        let run = try await CollectRuns.shared.run(Self.planted, redact: true)
        try #require(run.status == 0, "collect exited \(run.status): \(run.stderr)")
        let corpus = try PlantedCorpus.load()
        var places = [("the decompressed bundle", run.decompressed), ("stdout (--format json)", run.stdout)]
        places += run.reportFiles.sorted { $0.key < $1.key }.map { ("--report \($0.key)", $0.value) }
        for entry in corpus.planted {
            for (place, bytes) in places {
                let leaked = SecretForms.all(of: entry.value).filter { bytes.contains(bytes: $0.bytes) }.map(\.name)
                #expect(leaked.isEmpty, "\(entry.form) \(entry.value) leaked into \(place) as \(leaked)")
            }
        }
    }

    @Test func theRedactionReportCountsEachPlantedFormAndTheManifestRecordsTheRules() async throws {
        let run = try await CollectRuns.shared.run(Self.planted, redact: true)
        let corpus = try PlantedCorpus.load()
        let report = try JSONDecoder().decode(RedactionReport.self, from: try run.member(BundleLayout.redactionReport))
        #expect(report.enabled && report.warning == nil)
        for entry in corpus.planted {
            let counted = report.files[entry.file]?[entry.rule] ?? 0
            #expect(counted > 0, "\(entry.rule) counted nothing in \(entry.file) (\(entry.form)); it counted \(report.files[entry.file] ?? [:])")
        }
        for rule in Set(corpus.planted.map(\.rule)) {
            #expect((report.totals[rule] ?? 0) > 0, "totals lack \(rule)")
        }
        #expect(report.registeredSecretValues > 0)
        let manifest = try #require(run.manifest)
        #expect(manifest.redaction.enabled)
        #expect(manifest.redaction.rules == RedactionRule.allCases.map(\.rawValue))
        #expect(manifest.redaction.report == BundleLayout.redactionReport)
        #expect(!run.stderr.contains("--no-redact"))
    }

    @Test func oneSecretReadsAsOnePlaceholderAcrossFiles() async throws {
        let run = try await CollectRuns.shared.run(Self.planted, redact: true)
        for group in try PlantedCorpus.load().samePlaceholder {
            var seen: [String] = []
            for place in group.places {
                let text = String(decoding: try run.member(place.file), as: UTF8.self)
                let found = try #require(Self.placeholder(after: place.marker, in: text), "no placeholder after \"\(place.marker)\" in \(place.file)")
                seen.append(found)
            }
            if let secret = group.secret {
                seen.append(try Self.secretPlaceholder(run, name: secret.name, key: secret.key))
            }
            #expect(Set(seen).count == 1, "\(group.form): \(seen)")
        }
    }

    @Test func theFailureEvidenceStaysReadable() async throws {
        let run = try await CollectRuns.shared.run(Self.planted, redact: true)
        let corpus = try PlantedCorpus.load()
        let report = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any]
        let findings = report?["findings"] as? [[String: Any]] ?? []
        let root = try #require(findings.first, "no finding in the JSON report")
        #expect(root["id"] as? String == corpus.finding)
        // Redaction changes no diagnosis: the findings of the cluster itself (its recorded golden file), but for
        // those resting on the HTTP check, which --no-http-checks leaves out.
        let golden = try JSONSerialization.jsonObject(
            with: Data(try Self.fixtureText(Self.planted, "expected/findings.json").utf8)) as? [[String: Any]] ?? []
        let expected = golden.filter { item in
            !((item["evidence"] as? [[String: Any]]) ?? []).allSatisfy { ($0["path"] as? String)?.hasPrefix("checks/") == true }
        }.map { "\($0["id"] as? String ?? "")@\(($0["resources"] as? [String])?.first ?? "")" }
        #expect(!expected.isEmpty && findings.compactMap { $0["key"] as? String } == expected)
        let evidence = root["evidence"] as? [[String: Any]] ?? []
        try #require(!evidence.isEmpty, "the root cause has no evidence")
        for item in evidence {
            let path = try #require(item["path"] as? String)
            let line = try #require(item["line"] as? Int)
            let excerpt = try #require(item["excerpt"] as? String)
            #expect(!excerpt.contains("<redacted:"), "evidence was redacted: \(excerpt)")
            // The excerpt is the cluster's line as it was, at the same line of the same file.
            let original = try Self.fixtureLines(Self.planted, path)
            try #require(line <= original.count, "\(path) has no line \(line)")
            #expect(original[line - 1].contains(excerpt), "\(path):\(line) is \"\(original[line - 1])\", the evidence says \"\(excerpt)\"")
            let stored = Self.lines(try run.member(path))
            #expect(stored.count == original.count && stored[line - 1] == original[line - 1], "\(path):\(line) changed in the bundle")
        }
    }

    @Test func noRedactIsLoudRecordedAndLeavesTheValuesInClear() async throws {
        let run = try await CollectRuns.shared.run(Self.planted, redact: false)
        try #require(run.status == 0, "collect --no-redact exited \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("WARNING: --no-redact"))
        let manifest = try #require(run.manifest)
        #expect(!manifest.redaction.enabled)
        #expect(manifest.redaction.rules.isEmpty)
        let report = try JSONDecoder().decode(RedactionReport.self, from: try run.member(BundleLayout.redactionReport))
        #expect(!report.enabled && report.warning != nil)
        // Every planted value is found by the same search that finds none in a redacted bundle.
        for entry in try PlantedCorpus.load().planted {
            let found = SecretForms.all(of: entry.value).filter { run.decompressed.contains(bytes: $0.bytes) }
            #expect(!found.isEmpty, "\(entry.form) \(entry.value) is not in the --no-redact bundle in any form")
        }
    }

    // MARK: - False positives

    /// Stored logs equal the cluster's byte for byte, but for lines holding a placeholder; those lines hold as many
    /// placeholders as the redaction report counts for the file (a PEM private key counts once, however many lines
    /// its body spans). UUIDs, sha256 digests, revision ids and timestamps stay.
    @Test(arguments: ["migration-conflict", "database-auth-failed", "redis-auth-failed", "keycloak-db-auth", planted])
    func logsAreUntouchedButForWhatTheReportCounts(_ scenario: String) async throws {
        let run = try await CollectRuns.shared.run(scenario, redact: true)
        try #require(run.status == 0, "collect exited \(run.status): \(run.stderr)")
        let report = try JSONDecoder().decode(RedactionReport.self, from: try run.member(BundleLayout.redactionReport))
        let root = Self.fixtures.appendingPathComponent(scenario)
        let logs = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".log") } ?? []
        try #require(!logs.isEmpty)
        var changedLines = 0
        for path in logs.sorted() {
            let original = try Self.fixtureLines(scenario, path)
            let stored = Self.lines(try run.member(path))
            try #require(stored.count == original.count, "\(path): \(stored.count) lines stored, \(original.count) in the cluster")
            var placeholders = 0
            var privateKeyLines = 0
            var inPrivateKey = false
            for (before, after) in zip(original, stored) {
                let privateKey = inPrivateKey || before.contains("PRIVATE KEY-----")
                inPrivateKey = (inPrivateKey || before.contains("-----BEGIN")) && !before.contains("-----END")
                guard before != after else { continue }
                changedLines += 1
                #expect(after.contains("<redacted:"), "\(path): changed without a placeholder:\n- \(before)\n+ \(after)")
                placeholders += Self.count("<redacted:", in: after)
                if privateKey { privateKeyLines += Self.count("<redacted:", in: after) }
            }
            let counts = report.files[path] ?? [:]
            let keys = counts[RedactionRule.pemPrivateKey.rawValue] ?? 0
            let others = counts.values.reduce(0, +) - keys
            #expect(placeholders - privateKeyLines == others, "\(path): \(placeholders - privateKeyLines) placeholders outside private keys, the report counts \(others) values")
            #expect(privateKeyLines >= keys && (keys == 0) == (privateKeyLines == 0), "\(path): \(privateKeyLines) private key lines hidden, \(keys) keys counted")
            for uuid in Self.evidence(original.joined(separator: "\n")) {
                #expect(stored.joined(separator: "\n").contains(uuid), "\(path): \(uuid) was altered")
            }
        }
        #expect((scenario == Self.planted) == (changedLines > 0), "\(changedLines) log lines of \(scenario) changed")
        for list in ["api/v1/namespaces/em/pods.json", "api/v1/namespaces/em/events.json"] {
            let stored = String(decoding: try run.member(list), as: UTF8.self)
            let evidence = Self.evidence(try Self.fixtureText(scenario, list))
            #expect(!evidence.isEmpty)
            for item in evidence {
                #expect(stored.contains(item), "\(list) of \(scenario): \(item) was altered")
            }
        }
    }

    /// UUIDs, sha256 digests and RFC 3339 times in a text: what evidence is made of, never secret.
    static func evidence(_ text: String) -> Set<String> {
        let uuids = text.matches(of: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/).map { String($0.output) }
        let digests = text.matches(of: /sha256:[0-9a-f]{64}/).map { String($0.output) }
        let times = text.matches(of: /20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/).map { String($0.output) }
        return Set(uuids + digests + times)
    }

    // MARK: - Helpers

    static let fixtures = packageRoot.appendingPathComponent("Fixtures")
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func fixtureText(_ scenario: String, _ path: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(scenario).appendingPathComponent(path), encoding: .utf8)
    }

    static func fixtureLines(_ scenario: String, _ path: String) throws -> [String] {
        lines(Data(try fixtureText(scenario, path).utf8))
    }

    static func lines(_ data: Data) -> [String] {
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// The `<redacted:XXXXXX>` right after `marker`.
    static func placeholder(after marker: String, in text: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        let rest = text[range.upperBound...]
        guard rest.hasPrefix("<redacted:"), let end = rest.firstIndex(of: ">") else { return nil }
        return String(rest[...end])
    }

    /// The placeholder the stored Secret's `emdiag.io/redacted-keys` annotation gives `key`.
    fileprivate static func secretPlaceholder(_ run: CollectRun, name: String, key: String) throws -> String {
        let list = try JSONValue.parse(try run.member(BundleLayout.listPath(.secrets, namespace: "em")))
        let secret = try #require(list["items"]?.array.first { $0[path: "metadata.name"]?.string == name }, "\(name) is not stored")
        let annotation = try #require(secret[path: "metadata.annotations"]?[Redactor.redactedKeysAnnotation]?.string)
        let keys = try JSONValue.parse(Array(annotation.utf8))
        return try #require(keys[key]?["placeholder"]?.string, "\(name) has no placeholder for \(key)")
    }
}

/// `Fixtures/planted-secrets/planted.json`.
private struct PlantedCorpus: Decodable {
    struct Entry: Decodable {
        var form: String
        var value: String
        var rule: String
        var file: String
    }
    struct Place: Decodable {
        var file: String
        var marker: String
    }
    struct SecretKey: Decodable {
        var name: String
        var key: String
    }
    struct Group: Decodable {
        var form: String
        var places: [Place]
        var secret: SecretKey?
    }
    var finding: String
    var planted: [Entry]
    var samePlaceholder: [Group]

    static func load() throws -> PlantedCorpus {
        let url = RedactionEndToEndTests.fixtures.appendingPathComponent("\(RedactionEndToEndTests.planted)/planted.json")
        return try JSONDecoder().decode(PlantedCorpus.self, from: Data(contentsOf: url))
    }
}

/// The forms in which a value could leak: as is, escaped for JSON or HTML, and base64 (standard and URL-safe) of the
/// value alone and, for values long enough not to match by chance, the runs of base64 that encode it inside a
/// longer text at each of the 3 alignments (only whole 4-character groups made of the value's own bytes).
private enum SecretForms {
    struct Form {
        var name: String
        var bytes: [UInt8]
    }

    static func all(of value: String) -> [Form] {
        let raw = Array(value.utf8)
        var forms = [Form(name: "raw", bytes: raw)]
        if let json = try? JSONSerialization.data(withJSONObject: [value]), let text = String(data: json, encoding: .utf8) {
            let escaped = String(text.dropFirst(2).dropLast(2))
            if escaped != value { forms.append(Form(name: "JSON-escaped", bytes: Array(escaped.utf8))) }
        }
        let html = value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
        if html != value { forms.append(Form(name: "HTML-escaped", bytes: Array(html.utf8))) }
        for (alphabet, encode) in [("base64", standard), ("base64url", urlSafe)] {
            forms.append(Form(name: alphabet, bytes: Array(encode(raw).prefix { $0 != "=" }.utf8)))
            guard raw.count > 12 else { continue }
            for shift in 0..<3 {
                let encoded = Array(encode(Array(repeating: 0, count: shift) + raw).utf8)
                let whole = (shift + raw.count) / 3 * 4
                forms.append(Form(name: "\(alphabet) at offset \(shift)", bytes: Array(encoded[(shift == 0 ? 0 : 4)..<whole])))
            }
        }
        return forms
    }

    static func standard(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func urlSafe(_ bytes: [UInt8]) -> String {
        standard(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}

extension Data {
    /// Whether `needle` occurs anywhere (memchr for its first byte, then memcmp).
    fileprivate func contains(bytes needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        return withUnsafeBytes { hay in
            guard let base = hay.baseAddress, hay.count >= needle.count else { return false }
            var offset = 0
            while offset + needle.count <= hay.count {
                guard let hit = memchr(base + offset, Int32(first), hay.count - offset) else { return false }
                let at = base.distance(to: UnsafeRawPointer(hit))
                guard at + needle.count <= hay.count else { return false }
                if memcmp(base + at, needle, needle.count) == 0 { return true }
                offset = at + 1
            }
            return false
        }
    }
}

/// The outcome of one `emdiag collect` against `emdiag serve`.
private struct CollectRun: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: String
    /// The whole bundle, gunzipped (the tar stream: headers and every member).
    var decompressed: Data
    /// The `--report` files by name.
    var reportFiles: [String: Data]
    /// The bundle's files by path (below its top folder), as the system `tar` unpacked them.
    var members: [String: Data]
    /// The bundle's manifest, read by emdiag's own reader.
    var manifest: Manifest?

    /// A file of the bundle.
    func member(_ path: String) throws -> Data {
        guard let data = members[path] else { throw ChildProcessError(description: "the bundle has no \(path)") }
        return data
    }
}

/// Runs each collection once per test process (the tests share them).
private actor CollectRuns {
    static let shared = CollectRuns()
    private var runs: [String: Task<CollectRun, any Error>] = [:]

    func run(_ scenario: String, redact: Bool) async throws -> CollectRun {
        let key = "\(scenario) \(redact)"
        if let task = runs[key] { return try await task.value }
        let task = Task { try await Self.collect(scenario, redact: redact) }
        runs[key] = task
        return try await task.value
    }

    private static func collect(_ scenario: String, redact: Bool) async throws -> CollectRun {
        let binary = RedactionEndToEndTests.packageRoot.appendingPathComponent(".build/debug/emdiag").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: run `swift build --build-tests` first")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-redact-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let home = work.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let kubeconfig = work.appendingPathComponent("kubeconfig")
        let bundle = RedactionEndToEndTests.fixtures.appendingPathComponent(scenario).path
        let serve = try ChildProcess(binary, ["serve", bundle, "--port", "0", "--kubeconfig-out", kubeconfig.path], in: work, home: home)
        defer { serve.stop() }
        try await serve.waitFor(file: kubeconfig)

        let output = work.appendingPathComponent("emdiag-em.tar.gz")
        let reports = ["report.md", "report.html", "report.txt"].map { work.appendingPathComponent($0) }
        var arguments = ["collect", "--kubeconfig", kubeconfig.path, "-o", output.path, "--format", "json",
                         "--no-http-checks", "--fail-on", "never"]
        arguments += reports.flatMap { ["--report", $0.path] }
        if !redact { arguments.append("--no-redact") }
        let collect = try ChildProcess(binary, arguments, in: work, home: home)
        let status = await collect.exit()
        let stderr = String(decoding: try collect.stderr(), as: UTF8.self)
        try #require(FileManager.default.fileExists(atPath: output.path), "no bundle written (exit \(status)): \(stderr)")

        let decompressed = try await ChildProcess.output("/bin/gzip", ["-dc", output.path], in: work, home: home)
        let unpacked = work.appendingPathComponent("unpacked")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        _ = try await ChildProcess.output("/bin/tar", ["-xzf", output.path, "-C", unpacked.path], in: work, home: home)
        let folders = try FileManager.default.contentsOfDirectory(atPath: unpacked.path)
        try #require(folders.count == 1, "the bundle holds \(folders), not one top folder")
        let top = unpacked.appendingPathComponent(folders[0])
        var members: [String: Data] = [:]
        for path in FileManager.default.subpaths(atPath: top.path) ?? [] {
            var isFolder: ObjCBool = false
            let file = top.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), !isFolder.boolValue {
                members[path] = try Data(contentsOf: file)
            }
        }
        var files: [String: Data] = [:]
        for report in reports { files[report.lastPathComponent] = try Data(contentsOf: report) }
        return CollectRun(
            status: status, stdout: try collect.stdout(), stderr: stderr, decompressed: decompressed, reportFiles: files,
            members: members, manifest: try BundleDirectory(root: top).manifest())
    }
}

/// A child process with its output in files (no pipe can fill up) and a throwaway HOME.
private final class ChildProcess: Sendable {
    private let process: Process
    private let out: URL
    private let err: URL

    init(_ executable: String, _ arguments: [String], in folder: URL, home: URL) throws {
        let name = UUID().uuidString
        out = folder.appendingPathComponent("\(name).stdout")
        err = folder.appendingPathComponent("\(name).stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["KUBECONFIG"] = nil
        environment["NO_COLOR"] = "1"
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
    }

    func stdout() throws -> Data { try Data(contentsOf: out) }
    func stderr() throws -> Data { try Data(contentsOf: err) }

    /// Waits for the exit without blocking a thread.
    func exit() async -> Int32 {
        let (exits, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { continuation.yield($0.terminationStatus) }
        if !process.isRunning { return process.terminationStatus }
        for await status in exits { return status }
        return process.terminationStatus
    }

    /// Waits until `file` exists (the server writes its kubeconfig once it listens).
    func waitFor(file: URL) async throws {
        for _ in 0..<1200 where process.isRunning {
            if FileManager.default.fileExists(atPath: file.path) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let said = String(decoding: (try? stderr()) ?? Data(), as: UTF8.self)
        throw ChildProcessError(description: "\(process.executableURL?.path ?? "?") never wrote \(file.path): \(said)")
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// Runs a program to completion and returns its stdout; throws when it fails.
    static func output(_ executable: String, _ arguments: [String], in folder: URL, home: URL) async throws -> Data {
        let child = try ChildProcess(executable, arguments, in: folder, home: home)
        let status = await child.exit()
        guard status == 0 else {
            let said = String(decoding: try child.stderr(), as: UTF8.self)
            throw ChildProcessError(description: "\(executable) \(arguments.joined(separator: " ")) exited \(status): \(said)")
        }
        return try child.stdout()
    }
}

private struct ChildProcessError: Error, CustomStringConvertible {
    var description: String
}
