import Crypto
import Foundation
import Synchronization

/// Redacts everything written into one bundle, and keeps the report of what it hid.
///
/// Create one per bundle. Placeholders are `<redacted:XXXXXX>`: the first 6 hex digits of
/// HMAC-SHA256(per-bundle random key, value), so one value always reads the same within a bundle and
/// nothing links bundles. Secret values are also fingerprinted (`hmac-sha256:<16 hex>`) with the fingerprint
/// key, which the caller may keep across runs (`loadOrCreateKey(at:)`) so "did this value change" can be
/// answered between two bundles from the same machine without disclosing the value.
///
/// Order matters: register the cluster's Secrets (`register(secret:)`, or `redactSecret`, which registers)
/// before creating the sinks of logs, since a sink uses the rules as they were when it was created.
package final class Redactor: Sendable {
    package static let minimumSecretLength = 6
    /// Registered values beyond this many (raw and base64 forms together) are ignored (counted in the report).
    package static let maxSecretValues = 6000

    package let policy: RedactionPolicy
    let names: SecretNames
    private let patterns: [RedactionPattern]
    private let patternLiterals: [[String]]
    private let placeholderKey: [UInt8]
    private let fingerprintKey: [UInt8]
    private let shared: Mutex<Shared>

    private struct Shared {
        var rules: CompiledRules
        var knownValues: [[UInt8]] = []
        var knownAlias: [Int] = []
        var knownIndex: [[UInt8]: Int] = [:]
        var registered = 0
        var ignored = 0
        var files: [String: [Int]] = [:]
        var dropped: Set<String> = []
    }

    /// - Parameters:
    ///   - policy: built-in rules plus playbook additions; `enabled: false` makes every call the identity.
    ///   - placeholderKey: the per-bundle key (random when nil; pass one only in tests).
    ///   - fingerprintKey: the key of Secret fingerprints (the placeholder key when nil).
    /// - Throws: `RedactionError.invalidPattern` for a playbook pattern that does not compile.
    package init(
        policy: RedactionPolicy = RedactionPolicy(), placeholderKey: [UInt8]? = nil, fingerprintKey: [UInt8]? = nil
    ) throws(RedactionError) {
        var compiled: [RedactionPattern] = []
        for pattern in policy.patterns { compiled.append(try RedactionPattern(pattern)) }
        let key = placeholderKey ?? Self.randomKey()
        let names = SecretNames(extra: policy.keyNames)
        let literals = compiled.map(\.literals)
        self.policy = policy
        self.names = names
        patterns = compiled
        patternLiterals = literals
        self.placeholderKey = key
        self.fingerprintKey = fingerprintKey ?? key
        shared = Mutex(
            Shared(
                rules: CompiledRules(
                    names: names, patterns: compiled, patternLiterals: literals, knownValues: [], knownAlias: [],
                    placeholderKey: key)))
    }

    package var isEnabled: Bool { policy.enabled }

    /// The rule ids in force, as recorded in the manifest: built-in ids, then `custom-pattern-N` per playbook pattern.
    package var ruleIDs: [String] {
        policy.enabled ? slotIDs : []
    }

    /// The id of each count slot.
    private var slotIDs: [String] {
        RedactionRule.allCases.map(\.rawValue) + policy.patterns.indices.map { "custom-pattern-\($0 + 1)" }
    }

    /// The manifest's `redaction` entry.
    package var manifestEntry: Manifest.Redaction {
        Manifest.Redaction(enabled: policy.enabled, rules: ruleIDs, report: BundleLayout.redactionReport)
    }

    // MARK: - Secret values of the cluster

    /// Registers values of the cluster's own secrets: each (at least 6 bytes) and its base64 forms
    /// (`encodedForms(of:)`) are then redacted wherever they appear (rule known-secret-value). A trailing newline
    /// is also tried without.
    package func register(secretValues values: some Sequence<[UInt8]>) {
        guard policy.enabled else { return }
        shared.withLock { shared in
            var changed = false
            for value in values {
                var forms = [value]
                let trimmed = Array(value.reversed().drop { $0 == 10 || $0 == 13 || $0 == 32 }.reversed())
                if trimmed.count != value.count { forms.append(trimmed) }
                for raw in forms where raw.count >= Self.minimumSecretLength && shared.knownIndex[raw] == nil {
                    let encodings = Self.encodedForms(of: raw).filter { shared.knownIndex[$0] == nil }
                    guard shared.knownValues.count + 1 + encodings.count <= Self.maxSecretValues else {
                        shared.ignored += 1
                        continue
                    }
                    let index = shared.knownValues.count
                    shared.knownIndex[raw] = index
                    shared.knownValues.append(raw)
                    shared.knownAlias.append(-1)
                    shared.registered += 1
                    for encoded in encodings {
                        shared.knownIndex[encoded] = shared.knownValues.count
                        shared.knownValues.append(encoded)
                        shared.knownAlias.append(index)
                    }
                    changed = true
                }
            }
            if changed {
                shared.rules = CompiledRules(
                    names: names, patterns: patterns, patternLiterals: patternLiterals,
                    knownValues: shared.knownValues, knownAlias: shared.knownAlias, placeholderKey: placeholderKey)
            }
        }
    }

    /// Values this long or longer are also found inside longer base64 text (a shorter run could match by chance).
    static let minimumEmbeddedLength = 12

    /// The base64 forms of a secret value, which take its placeholder: its own encoding without padding, in the
    /// standard and URL-safe alphabets; and, for values of `minimumEmbeddedLength` bytes or more, the runs that
    /// encode it inside a longer encoded text at each of the 3 byte alignments (only whole 4-character groups made
    /// of the value's own bytes, so a run matches whatever surrounds the value).
    static func encodedForms(of raw: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        func add(_ form: ArraySlice<UInt8>) {
            if form.count >= minimumSecretLength, !out.contains(where: { $0.elementsEqual(form) }) { out.append(Array(form)) }
        }
        for urlSafe in [false, true] {
            func encode(_ bytes: [UInt8]) -> [UInt8] {
                Data(bytes).base64EncodedString().utf8.map { byte in
                    guard urlSafe else { return byte }
                    return byte == UInt8(ascii: "+") ? UInt8(ascii: "-") : byte == UInt8(ascii: "/") ? UInt8(ascii: "_") : byte
                }
            }
            let alone = encode(raw)
            add(alone.prefix { $0 != UInt8(ascii: "=") })
            guard raw.count >= minimumEmbeddedLength else { continue }
            for shift in 0..<3 {
                // `shift` bytes before the value: the first group also encodes them, a last partial group the bytes after.
                let encoded = shift == 0 ? alone : encode(Array(repeating: 0, count: shift) + raw)
                add(encoded[(shift == 0 ? 0 : 4)..<((shift + raw.count) / 3 * 4)])
            }
        }
        return out
    }

    package func register(secretValues values: [String]) {
        register(secretValues: values.map { Array($0.utf8) })
    }

    /// Registers the values of a Secret object (`data` decoded from base64, and `stringData`), except keys a
    /// playbook declared non-secret and Helm release records (whose encoded blob never appears in text).
    package func register(secret: JSONValue) {
        guard secret["type"]?.string != Self.helmReleaseType else { return }
        register(secretValues: secretEntries(secret).filter { !$0.nonSecret }.map(\.value))
    }

    // MARK: - Text

    /// The rules as of now (registered values included).
    var rulesSnapshot: CompiledRules { shared.withLock { $0.rules } }

    /// The rules as of now, or nil when redaction is disabled.
    private var currentRules: CompiledRules? {
        policy.enabled ? rulesSnapshot : nil
    }

    /// Redacts a whole text (lines separated by `\n`), counting what it hid against `file`.
    package func redact(bytes: [UInt8], file: String) -> [UInt8] {
        guard let rules = currentRules else { return bytes }
        let (out, counts) = RedactionStream.redact(bytes, rules: rules)
        record(file: file, counts: counts)
        return out
    }

    package func redact(text: String, file: String) -> String {
        guard policy.enabled else { return text }
        return String(decoding: redact(bytes: Array(text.utf8), file: file), as: UTF8.self)
    }

    /// Redacts one line (a text without newline is one line).
    package func redact(line: String, file: String) -> String {
        redact(text: line, file: file)
    }

    /// A streaming redactor for one bundle file, writing into `output`.
    package func sink(file: String, output: any ByteSink) -> RedactingSink {
        RedactingSink(file: file, output: output, redactor: self, rules: currentRules)
    }

    /// Whether a playbook drops `path` from the bundle; dropped paths are listed in the report.
    package func drops(path: String) -> Bool {
        guard policy.drops(path: path) else { return false }
        shared.withLock { _ = $0.dropped.insert(path) }
        return true
    }

    /// The placeholder of a value: `<redacted:XXXXXX>`.
    package func placeholder(for value: [UInt8]) -> String {
        String(decoding: value.withUnsafeBytes { Self.placeholder(for: $0, key: placeholderKey) }, as: UTF8.self)
    }

    static func placeholder(for value: UnsafeRawBufferPointer, key: [UInt8]) -> [UInt8] {
        let mac = HMAC<SHA256>.authenticationCode(for: value, using: SymmetricKey(data: key))
        return Array("<redacted:\(Self.hex(mac.prefix(3)))>".utf8)
    }

    /// The keyed fingerprint of a Secret value: `hmac-sha256:<first 16 hex digits>`.
    package func fingerprint(of value: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: value, using: SymmetricKey(data: fingerprintKey))
        return "hmac-sha256:\(Self.hex(mac.prefix(8)))"
    }

    /// Names the fingerprint key without revealing it, so two reports show whether their fingerprints compare.
    package var fingerprintKeyID: String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("emdiag fingerprint key id".utf8), using: SymmetricKey(data: fingerprintKey))
        return Self.hex(mac.prefix(4))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func randomKey() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Reads the 32-byte fingerprint key at `path`, or creates it (mode 0600) when absent.
    /// - Throws: `RedactionError.keyFile` when the file cannot be read, has the wrong size, or cannot be created.
    package static func loadOrCreateKey(at path: String) throws(RedactionError) -> [UInt8] {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            guard let data = manager.contents(atPath: path) else { throw .keyFile(path: path, message: "unreadable") }
            guard data.count == 32 else { throw .keyFile(path: path, message: "\(data.count) bytes instead of 32") }
            return Array(data)
        }
        let key = randomKey()
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        } catch {
            throw .keyFile(path: path, message: "\(error)")
        }
        guard manager.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
            throw .keyFile(path: path, message: "could not create the file")
        }
        return key
    }

    // MARK: - Counting and the report

    /// Adds counts (per slot) to a file's totals.
    func record(file: String, counts: [Int]) {
        guard counts.contains(where: { $0 > 0 }) else { return }
        shared.withLock { shared in
            var current = shared.files[file] ?? Array(repeating: 0, count: counts.count)
            for (slot, count) in counts.enumerated() where slot < current.count { current[slot] += count }
            shared.files[file] = current
        }
    }

    func record(file: String, rule: RedactionRule, count: Int = 1) {
        var counts = Array(repeating: 0, count: CompiledRules.builtInSlots + patterns.count)
        counts[CompiledRules.slot(rule)] = count
        record(file: file, counts: counts)
    }

    /// Slot counts as `rule id -> count`, non-zero entries only.
    func named(_ counts: [Int]) -> [String: Int] {
        let ids = slotIDs
        var out: [String: Int] = [:]
        for (slot, count) in counts.enumerated() where count > 0 && slot < ids.count { out[ids[slot]] = count }
        return out
    }

    /// The report as of now (`redaction-report.json`).
    package func report() -> RedactionReport {
        let (files, dropped, registered, ignored) = shared.withLock {
            ($0.files, $0.dropped, $0.registered, $0.ignored)
        }
        var perFile: [String: [String: Int]] = [:]
        var totals: [String: Int] = [:]
        for (file, counts) in files {
            let named = named(counts)
            perFile[file] = named
            totals.merge(named, uniquingKeysWith: +)
        }
        let builtIn = RedactionRule.allCases.map {
            RedactionReport.Rule(id: $0.rawValue, source: "built-in", description: $0.ruleDescription.summary)
        }
        let custom = zip(slotIDs.dropFirst(builtIn.count), policy.patterns).map {
            RedactionReport.Rule(id: $0, source: "playbook", description: "pattern \($1)")
        }
        return RedactionReport(
            enabled: policy.enabled, rules: policy.enabled ? builtIn + custom : [], keyNames: policy.keyNames,
            totals: totals, files: perFile, droppedFiles: dropped.sorted(), registeredSecretValues: registered,
            ignoredSecretValues: ignored, fingerprintKeyID: fingerprintKeyID)
    }
}
