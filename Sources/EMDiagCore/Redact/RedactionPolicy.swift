/// What to redact in one bundle: the built-in rules (always on unless `enabled` is false) plus the
/// additions that playbooks declare. Policies from several playbooks combine with `merging(_:)`.
package struct RedactionPolicy: Codable, Sendable, Equatable {
    /// False only for `--no-redact`: every redaction call is then the identity and the report says so.
    package var enabled: Bool
    /// Extra POSIX extended regexes; the first capture group (or the whole match when there is none) is the secret.
    package var patterns: [String]
    /// Extra key or environment names whose values are secret (matched like the built-in names, as name suffixes
    /// after dropping case, `_`, `-` and `.`: `SESSION_KEY` also covers `APP_SESSION_KEY`).
    package var keyNames: [String]
    /// Globs of bundle paths left out of the bundle entirely (`*` within a path segment, `**` across segments).
    package var dropFiles: [String]
    /// Secret name -> keys a playbook declares non-secret and needed (`em-runtime-secrets: [base-url]`).
    /// Their values are kept, after the text rules (credentials in URLs) have run over them.
    package var nonSecretKeys: [String: [String]]

    package init(
        enabled: Bool = true, patterns: [String] = [], keyNames: [String] = [], dropFiles: [String] = [],
        nonSecretKeys: [String: [String]] = [:]
    ) {
        self.enabled = enabled
        self.patterns = patterns
        self.keyNames = keyNames
        self.dropFiles = dropFiles
        self.nonSecretKeys = nonSecretKeys
    }

    /// The union of two policies (redaction stays enabled only if both are enabled). Lists keep their first order.
    package func merging(_ other: RedactionPolicy) -> RedactionPolicy {
        func union(_ a: [String], _ b: [String]) -> [String] {
            var seen = Set(a)
            return a + b.filter { seen.insert($0).inserted }
        }
        var keys = nonSecretKeys
        for (secret, names) in other.nonSecretKeys {
            keys[secret] = union(keys[secret] ?? [], names)
        }
        return RedactionPolicy(
            enabled: enabled && other.enabled, patterns: union(patterns, other.patterns),
            keyNames: union(keyNames, other.keyNames), dropFiles: union(dropFiles, other.dropFiles),
            nonSecretKeys: keys)
    }

    /// True when `path` (a bundle path such as `api/v1/namespaces/em/pods/x/log/app.log`) matches a `dropFiles` glob.
    package func drops(path: String) -> Bool {
        enabled && dropFiles.contains { Glob.matches(pattern: Array($0.utf8), path: Array(path.utf8)) }
    }

    /// Keys of `secret` that a playbook declared non-secret.
    package func nonSecretKeys(ofSecret secret: String) -> Set<String> {
        Set(nonSecretKeys[secret] ?? [])
    }
}

/// Path globs for `dropFiles`: `*` and `?` stay inside one path segment, `**` spans segments.
enum Glob {
    static func matches(pattern p: [UInt8], path s: [UInt8]) -> Bool {
        match(p[...], s[...])
    }

    private static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        guard let first = p.first else { return s.isEmpty }
        let slash = UInt8(ascii: "/")
        if first == UInt8(ascii: "*") {
            let doubled = p.dropFirst().first == UInt8(ascii: "*")
            var rest = p.dropFirst(doubled ? 2 : 1)
            if doubled, rest.first == slash { rest = rest.dropFirst() }  // "**/x" also matches "x"
            var tail = s
            while true {
                if match(rest, tail) { return true }
                guard let c = tail.first, doubled || c != slash else { return false }
                tail = tail.dropFirst()
            }
        }
        guard let c = s.first else { return false }
        if first == UInt8(ascii: "?") ? c != slash : c == first {
            return match(p.dropFirst(), s.dropFirst())
        }
        return false
    }
}

/// Decides whether a key or environment name is secret-looking. Names are compared after lower-casing and
/// dropping everything but letters and digits, by suffix: `DB_PASSWORD`, `spring.datasource.password`,
/// `apiKey`, `client_secret` and `ROOT_ENCRYPTION_KEY` are secret; `secretName`, `passwordKey` and `tokenUrl` are not.
struct SecretNames: Sendable {
    static let builtInSuffixes = [
        "password", "passwd", "passphrase", "pwd", "secret", "secretkey", "token", "apikey", "privatekey",
        "accesskey", "credentials", "credential", "auth", "encryptionkey", "sessionkey", "signingkey", "masterkey",
    ]
    /// Literals (lower case) that must occur in a line for one of the built-in names to be in it.
    static let builtInTriggers = ["passw", "passphrase", "pwd", "secret", "token", "key", "credential", "auth"]
    /// Names that end like a secret but hold a reference to one (Helm charts' `existingSecret: <name>`).
    static let exceptions: Set<[UInt8]> = [Array("existingsecret".utf8)]

    let suffixes: [[UInt8]]
    /// Extra prefilter literals for the playbook names (their last word).
    let extraTriggers: [String]

    init(extra: [String]) {
        let normalized = extra.map { Self.normalize(Array($0.utf8)) }.filter { !$0.isEmpty }
        suffixes = (Self.builtInSuffixes.map { Array($0.utf8) } + normalized)
        extraTriggers = extra.compactMap { Self.lastWord(of: $0) }
    }

    func isSecret(_ name: String) -> Bool {
        Array(name.utf8).withUnsafeBufferPointer { isSecret($0) }
    }

    /// Compares from the end without building the normalized name (this runs on every candidate line).
    func isSecret(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let matches = suffixes.contains { Self.hasNormalizedSuffix(name, $0) }
        return matches && !Self.exceptions.contains(Self.normalize(Array(name)))
    }

    private static func hasNormalizedSuffix(_ name: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
        var i = name.count
        var k = suffix.count
        while k > 0 {
            repeat { i -= 1 } while i >= 0 && !Bytes.isAlnum(name[i])
            guard i >= 0, LiteralAutomaton.lower(name[i]) == suffix[k - 1] else { return false }
            k -= 1
        }
        return true
    }

    static func normalize(_ bytes: [UInt8]) -> [UInt8] {
        bytes.compactMap { b in
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): b | 0x20
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): b
            default: nil
            }
        }
    }

    /// "SESSION_KEY" -> "key", "dbConnStr" -> "str": the part of a name that appears literally in any spelling.
    static func lastWord(of name: String) -> String? {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for ch in name {
            if !(ch.isLetter || ch.isNumber) {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else if ch.isUppercase, previousLower {
                words.append(current)
                current = String(ch)
            } else {
                current.append(ch)
            }
            previousLower = ch.isLowercase || ch.isNumber
        }
        if !current.isEmpty { words.append(current) }
        guard let last = words.last?.lowercased(), last.utf8.count >= 2 else { return nil }
        return last
    }
}
