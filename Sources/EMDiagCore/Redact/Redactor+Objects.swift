import Foundation

/// Redaction of Kubernetes objects (`JSONValue`): Secrets, Helm release records, and any other object.
///
/// A redacted Secret stays a valid Secret for `kubectl get secret` against the bundle: each `data` value
/// becomes base64 of its placeholder (`stringData` is folded into `data`), and the annotation
/// `emdiag.io/redacted-keys` holds, as a JSON string with sorted keys:
/// ```json
/// {"password": {"fingerprint": "hmac-sha256:0123456789abcdef", "length": 12, "placeholder": "<redacted:3f9a1c>"},
///  "base-url": {"fingerprint": "hmac-sha256:…", "kept": true, "length": 31}}
/// ```
/// `length` is the value's byte length; keys declared non-secret by a playbook are `kept` (after the text
/// rules ran over them) and carry `"credentialsRedacted": true` when that changed them.
extension Redactor {
    static let helmReleaseType = "helm.sh/release.v1"
    package static let redactedKeysAnnotation = "emdiag.io/redacted-keys"
    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
    /// What a Helm release summary keeps; everything else (`config`, `manifest`, `hooks`, `info.notes`, …) is dropped.
    static let helmKeptFields = [
        "name", "namespace", "version", "info.status", "info.description", "info.first_deployed",
        "info.last_deployed", "chart.metadata.name", "chart.metadata.version", "chart.metadata.appVersion",
    ]

    struct SecretEntry {
        var key: String
        var value: [UInt8]
        var nonSecret: Bool
    }

    /// A Secret's values by key (`data` decoded, `stringData` winning as the API server does), sorted by key.
    func secretEntries(_ secret: JSONValue) -> [SecretEntry] {
        let keep = policy.nonSecretKeys(ofSecret: secret[path: "metadata.name"]?.string ?? "")
        var values: [String: [UInt8]] = [:]
        for (key, value) in secret["data"]?.object ?? [:] {
            let text = value.string ?? ""
            values[key] = Data(base64Encoded: text).map { Array($0) } ?? Array(text.utf8)
        }
        for (key, value) in secret["stringData"]?.object ?? [:] {
            values[key] = Array((value.string ?? "").utf8)
        }
        return values.keys.sorted().map { SecretEntry(key: $0, value: values[$0] ?? [], nonSecret: keep.contains($0)) }
    }

    /// A Secret without its values (see the type's documentation); registers the values first.
    package func redactSecret(_ secret: JSONValue, file: String) -> JSONValue {
        guard policy.enabled else { return secret }
        register(secret: secret)
        return walk(file: file) { $0.secret(secret.object) }
    }

    /// Any object or List: Secrets inside are handled as by `redactSecret`, the last-applied-configuration
    /// annotation is parsed and redacted as an object, token annotations and secret-looking keys and env
    /// entries are replaced, and every other string goes through the text rules.
    package func redactObject(_ object: JSONValue, file: String) -> JSONValue {
        guard policy.enabled else { return object }
        return walk(file: file) { $0.value(object, key: nil) }
    }

    /// The stored form of a Helm release Secret (`type: helm.sh/release.v1`): its record decoded and reduced to
    /// `helmKeptFields`, plus `secret` (the Secret's name) and `droppedFields`. With redaction disabled, the
    /// whole decoded record.
    /// - Parameter helmDecoder: turns the gzip'd record (after both base64 layers) into JSON; plain JSON
    ///   records (old Helm versions) are parsed without it.
    /// - Throws: `RedactionError.helmRelease` when `data.release` is missing or does not decode.
    package func redactHelmRelease(
        _ secret: JSONValue, file: String, helmDecoder: (Data) throws -> JSONValue
    ) throws(RedactionError) -> JSONValue {
        let name = secret[path: "metadata.name"]?.string ?? "(unnamed)"
        guard let encoded = secret[path: "data.release"]?.string, let once = Data(base64Encoded: encoded),
            let twice = Data(base64Encoded: once)
        else { throw .helmRelease(secret: name, message: "data.release is missing or not base64 of base64") }
        let record: JSONValue
        do {
            record = twice.starts(with: [0x1f, 0x8b]) ? try helmDecoder(twice) : try JSONValue.parse(twice)
        } catch {
            throw .helmRelease(secret: name, message: "\(error)")
        }
        return redactHelmReleaseRecord(record, secretName: name, file: file)
    }

    /// A decoded Helm release record reduced to `helmKeptFields` (strings through the text rules).
    package func redactHelmReleaseRecord(_ record: JSONValue, secretName: String? = nil, file: String) -> JSONValue {
        guard policy.enabled else { return record }
        return walk(file: file) { walker in
            var kept: JSONValue = .object([:])
            for path in Self.helmKeptFields {
                if let value = record[path: path] { kept.set(path: path, walker.value(value, key: nil)) }
            }
            var out = kept.object
            if let secretName { out["secret"] = .string(secretName) }
            let dropped = Self.droppedPaths(of: record, keeping: Set(Self.helmKeptFields))
            out["droppedFields"] = .array(dropped.map(JSONValue.string))
            walker.count(.helmRelease)
            return .object(out)
        }
    }

    /// Dotted paths of `record` not under a kept path, for the record of what was dropped (top two levels).
    private static func droppedPaths(of record: JSONValue, keeping kept: Set<String>) -> [String] {
        var out: [String] = []
        for (key, value) in record.object where !kept.contains(key) {
            let children = value.object.keys.map { "\(key).\($0)" }
            if kept.contains(where: { $0.hasPrefix(key + ".") }) {
                out += children.filter { child in !kept.contains(where: { $0 == child || $0.hasPrefix(child + ".") }) }
            } else {
                out.append(key)
            }
        }
        return out.sorted()
    }

    private func walk(file: String, _ body: (inout ObjectWalker) -> JSONValue) -> JSONValue {
        var walker = ObjectWalker(redactor: self, rules: rulesSnapshot)
        let out = body(&walker)
        record(file: file, counts: walker.counts)
        return out
    }
}

/// Walks one object tree, counting what it hides.
struct ObjectWalker {
    let redactor: Redactor
    let rules: CompiledRules
    var counts: [Int]

    init(redactor: Redactor, rules: CompiledRules) {
        self.redactor = redactor
        self.rules = rules
        counts = Array(repeating: 0, count: rules.slotCount)
    }

    mutating func count(_ rule: RedactionRule) {
        counts[CompiledRules.slot(rule)] += 1
    }

    /// A string through the text rules.
    mutating func text(_ string: String) -> String {
        let (out, found) = RedactionStream.redact(Array(string.utf8), rules: rules)
        for (slot, count) in found.enumerated() { counts[slot] += count }
        return String(decoding: out, as: UTF8.self)
    }

    /// The placeholder of a whole value, counted under `rule`.
    mutating func hide(_ string: String, _ rule: RedactionRule) -> String {
        count(rule)
        return redactor.placeholder(for: Array(string.utf8))
    }

    static func isRealValue(_ string: String) -> Bool {
        let bytes = Array(string.utf8)
        return bytes.withUnsafeBufferPointer { Bytes.isRealValue($0, 0..<bytes.count) }
    }

    mutating func value(_ value: JSONValue, key: String?) -> JSONValue {
        switch value {
        case .string(let string):
            if let key, redactor.names.isSecret(key), Self.isRealValue(string) {
                return .string(hide(string, .secretKeyValue))
            }
            return .string(text(string))
        case .array(let items):
            return .array(items.map { self.value($0, key: key) })
        case .object(let fields):
            return object(fields)
        case .null, .bool, .number:
            return value
        }
    }

    private mutating func object(_ fields: [String: JSONValue]) -> JSONValue {
        if Self.isSecret(fields) { return secret(fields) }
        var out: [String: JSONValue] = [:]
        var envHandled = false
        if let name = fields["name"]?.string, case .string(let value)? = fields["value"],
            redactor.names.isSecret(name), Self.isRealValue(value)
        {
            out["value"] = .string(hide(value, .envValue))
            envHandled = true
        }
        let secretList = fields["kind"]?.string == "SecretList"
        for key in fields.keys.sorted() where !(envHandled && key == "value") {
            guard let child = fields[key] else { continue }
            if key == "annotations", case .object(let annotations) = child {
                out[key] = self.annotations(annotations)
            } else if key == "items", secretList {
                out[key] = .array(child.array.map { secret($0.object) })
            } else {
                out[key] = value(child, key: key)
            }
        }
        return .object(out)
    }

    /// A Secret object: `kind: Secret`, or an item of a SecretList (whose items have no kind).
    private static func isSecret(_ fields: [String: JSONValue]) -> Bool {
        if let kind = fields["kind"]?.string { return kind == "Secret" }
        return fields["type"]?.string != nil && fields["metadata"] != nil && fields["spec"] == nil
            && (fields["data"] != nil || fields["stringData"] != nil)
    }

    mutating func secret(_ fields: [String: JSONValue]) -> JSONValue {
        let original = JSONValue.object(fields)
        redactor.register(secret: original)
        var data: [String: JSONValue] = [:]
        var info: [String: JSONValue] = [:]
        for entry in redactor.secretEntries(original) {
            var meta: [String: JSONValue] = [
                "length": .number(Double(entry.value.count)), "fingerprint": .string(redactor.fingerprint(of: entry.value)),
            ]
            let stored: String
            if entry.nonSecret {
                let plain = String(decoding: entry.value, as: UTF8.self)
                stored = text(plain)
                meta["kept"] = .bool(true)
                if stored != plain { meta["credentialsRedacted"] = .bool(true) }
            } else {
                stored = redactor.placeholder(for: entry.value)
                meta["placeholder"] = .string(stored)
                count(.secretData)
            }
            data[entry.key] = .string(Data(stored.utf8).base64EncodedString())
            info[entry.key] = .object(meta)
        }
        var out: [String: JSONValue] = [:]
        for (key, child) in fields where key != "data" && key != "stringData" {
            out[key] = value(child, key: key)
        }
        if !data.isEmpty || fields["data"] != nil { out["data"] = .object(data) }
        var metadata = out["metadata"]?.object ?? [:]
        var annotations = metadata["annotations"]?.object ?? [:]
        annotations[Redactor.redactedKeysAnnotation] = .string(
            String(decoding: JSONValue.object(info).serialized(), as: UTF8.self))
        metadata["annotations"] = .object(annotations)
        out["metadata"] = .object(metadata)
        return .object(out)
    }

    private mutating func annotations(_ annotations: [String: JSONValue]) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for key in annotations.keys.sorted() {
            guard case .string(let string)? = annotations[key] else {
                out[key] = annotations[key]
                continue
            }
            if key == Redactor.lastAppliedAnnotation {
                if let parsed = try? JSONValue.parse(Array(string.utf8)) {
                    out[key] = .string(String(decoding: value(parsed, key: nil).serialized(), as: UTF8.self))
                } else {
                    out[key] = .string(hide(string, .secretKeyValue))
                }
            } else if isSecretAnnotation(key), Self.isRealValue(string) {
                out[key] = .string(hide(string, .secretKeyValue))
            } else {
                out[key] = .string(text(string))
            }
        }
        return .object(out)
    }

    /// `openshift.io/token-secret.value`, `example.com/api-token`: a secret-looking name, maybe with a
    /// trailing `.value`/`.data`.
    private func isSecretAnnotation(_ key: String) -> Bool {
        if redactor.names.isSecret(key) { return true }
        let normalized = String(decoding: SecretNames.normalize(Array(key.utf8)), as: UTF8.self)
        for suffix in ["value", "data"] where normalized.hasSuffix(suffix) {
            if redactor.names.isSecret(String(normalized.dropLast(suffix.count))) { return true }
        }
        return false
    }
}

extension JSONValue {
    /// Sets the value at a dotted path, creating objects on the way.
    mutating func set(path: String, _ newValue: JSONValue) {
        let parts = path.split(separator: ".").map(String.init)
        guard let first = parts.first else { return }
        var fields = object
        if parts.count == 1 {
            fields[first] = newValue
        } else {
            var child = fields[first] ?? .object([:])
            child.set(path: parts.dropFirst().joined(separator: "."), newValue)
            fields[first] = child
        }
        self = .object(fields)
    }
}
