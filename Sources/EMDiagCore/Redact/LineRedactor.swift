#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hidden value in a line: its byte range, the count slot of the rule that found it, whether it counts as a
/// new value (a private key counts once, at its BEGIN line), and for base64 forms of registered secrets the
/// raw value whose placeholder it takes (so both forms read the same).
struct SecretHit {
    var range: Range<Int>
    var slot: Int
    var counts: Bool = true
    var alias: Int = -1
}

/// Redacts text line by line, carrying the little state that spans lines (inside a PEM private key; an env
/// `name:` whose `value:` is on the next line; inside a YAML block scalar `password: |`). Lines in which no trigger
/// literal occurs are copied as they are.
struct LineRedactor {
    let rules: CompiledRules
    /// Values hidden so far, per count slot.
    private(set) var counts: [Int]
    private var inPrivateKey = false
    private var pendingEnvValue = false
    /// Inside the block scalar of a secret-looking YAML key (`password: |`, `token: >-`): its lines, indented more than
    /// the key's column, are hidden whole. The first one counts as the value.
    private var blockScalar: (keyColumn: Int, rule: RedactionRule, counted: Bool)?
    private var hits: [SecretHit] = []
    private var spots: [(start: Int, id: Int)] = []

    init(rules: CompiledRules) {
        self.rules = rules
        counts = Array(repeating: 0, count: rules.slotCount)
    }

    /// Whether the next line must be looked at whatever it contains.
    private var lineMode: Bool {
        inPrivateKey || pendingEnvValue || blockScalar != nil || !rules.unconditionalPatterns.isEmpty
    }

    /// Redacts complete lines (`region` ends with a newline), copying runs of clean lines in one piece.
    mutating func redact(lines region: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) throws -> Void)
        rethrows
    {
        let n = region.count
        var clean = 0
        var i = 0
        while i < n {
            let lineStart: Int
            if lineMode {
                lineStart = i
            } else {
                guard let hitEnd = rules.automaton.firstMatchEnd(in: region, from: i) else { break }
                var s = hitEnd
                while s > i, region[s - 1] != 10 { s -= 1 }
                lineStart = s
            }
            let lineEnd = Bytes.newline(in: region, from: lineStart) ?? n
            try emit(UnsafeBufferPointer(rebasing: region[clean..<lineStart]))
            try redact(line: UnsafeBufferPointer(rebasing: region[lineStart..<lineEnd]), emit: emit)
            clean = lineEnd  // the newline goes out with the next clean run
            i = lineEnd + 1
        }
        if clean < n { try emit(UnsafeBufferPointer(rebasing: region[clean..<n])) }
    }

    /// Redacts one line (without its newline).
    mutating func redact(line b: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) throws -> Void)
        rethrows
    {
        hits.removeAll(keepingCapacity: true)
        if pendingEnvValue {
            pendingEnvValue = false
            nextLineEnvValue(b)
        }
        if inPrivateKey { privateKeyBody(b) }
        if blockScalar == nil || !blockScalarLine(b) { collectHits(b) }
        guard !hits.isEmpty else { return try emit(b) }
        hits.sort { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound }
        var position = 0
        var index = 0
        while index < hits.count {
            var group = hits[index]
            var merged = false
            index += 1
            while index < hits.count, hits[index].range.lowerBound < group.range.upperBound {
                if hits[index].range.upperBound > group.range.upperBound {
                    group.range = group.range.lowerBound..<hits[index].range.upperBound
                    merged = true
                }
                // The most specific rule names the group: counting hits first, then the lowest slot
                // (built-in order puts url, token and key formats before generic key=value; playbook patterns last).
                if hits[index].counts && (!group.counts || hits[index].slot < group.slot) {
                    (group.slot, group.counts) = (hits[index].slot, true)
                }
                index += 1
            }
            try emit(UnsafeBufferPointer(rebasing: b[position..<group.range.lowerBound]))
            let placeholder =
                group.alias >= 0 && !merged
                ? rules.knownValues[group.alias].withUnsafeBytes { rules.placeholder(for: $0) }
                : rules.placeholder(for: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: b[group.range])))
            try placeholder.withUnsafeBufferPointer { try emit($0) }
            if group.counts { counts[group.slot] += 1 }
            position = group.range.upperBound
        }
        try emit(UnsafeBufferPointer(rebasing: b[position..<b.count]))
    }

    /// A line after `password: |`: hides its text when it is indented more than the key (blank lines stay in the
    /// block), else ends the block. Returns whether the line belonged to the block.
    private mutating func blockScalarLine(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let block = blockScalar else { return false }
        let origin = Bytes.textStart(b)
        var text = origin
        while text < b.count, b[text] == 32 { text += 1 }
        let end = Bytes.trimmedEnd(b, from: text)
        if text == end { return true }
        guard text - origin > block.keyColumn else {
            blockScalar = nil
            return false
        }
        add(text..<end, block.rule, counts: !block.counted)
        blockScalar?.counted = true
        return true
    }

    private mutating func add(_ range: Range<Int>, _ rule: RedactionRule, counts: Bool = true) {
        hits.append(SecretHit(range: range, slot: CompiledRules.slot(rule), counts: counts))
    }

    // MARK: - Dispatch

    private mutating func collectHits(_ b: UnsafeBufferPointer<UInt8>) {
        spots.removeAll(keepingCapacity: true)
        rules.automaton.forEachMatch(in: b) { start, id in spots.append((start, id)) }
        var namesDone: [Int] = []
        var patternsDone: [Int] = []
        for (start, id) in spots {
            let end = start + rules.automaton.lengths[id]
            switch rules.targets[id] {
            case .rule(let rule): ruleSpot(rule, b, start, end)
            case .name:
                var ns = start
                while ns > 0, Bytes.isName(b[ns - 1]) { ns -= 1 }
                guard !namesDone.contains(ns) else { continue }
                namesDone.append(ns)
                var ne = end
                while ne < b.count, Bytes.isName(b[ne]) { ne += 1 }
                nameSpot(b, ns, ne)
            case .known(let indices): knownSpot(b, start, indices)
            case .pattern(let index):
                guard !patternsDone.contains(index) else { continue }
                patternsDone.append(index)
                patternSpot(b, index)
            }
        }
        for index in rules.unconditionalPatterns { patternSpot(b, index) }
    }

    private mutating func ruleSpot(_ rule: RedactionRule, _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        switch rule {
        case .urlCredentials: urlPassword(b, from: end)
        case .connectionString: dsnPassword(b, at: start)
        case .authorizationHeader:
            if end - start == 6 { bearerToken(b, start, end) } else { authorizationValue(b, from: end) }
        case .jwt: jwtToken(b, start)
        case .awsAccessKey: awsKey(b, start)
        case .gcpKey: gcpKey(b, start)
        case .pemPrivateKey: privateKeyMarker(b, start, end)
        case .secretKeyValue, .envValue, .knownSecretValue, .secretData, .helmRelease: break
        }
    }

    // MARK: - URL, DSN, Authorization, tokens

    private mutating func urlPassword(_ b: UnsafeBufferPointer<UInt8>, from s: Int) {
        var at = -1
        var i = s
        while i < b.count, !Bytes.endsURLAuthority(b[i]) {
            if b[i] == UInt8(ascii: "@") { at = i }
            i += 1
        }
        guard at > s, let colon = Bytes.first(UInt8(ascii: ":"), in: b, s..<at), colon + 1 < at else { return }
        if Bytes.isRealValue(b, colon + 1..<at) { add(colon + 1..<at, .urlCredentials) }
    }

    private mutating func dsnPassword(_ b: UnsafeBufferPointer<UInt8>, at: Int) {
        var i = at
        while i > 0, !Bytes.isSpace(b[i - 1]), !Bytes.isAny(b[i - 1], of: "\"'=,({[>") { i -= 1 }
        guard let colon = Bytes.first(UInt8(ascii: ":"), in: b, i..<at), colon + 1 < at else { return }
        add(colon + 1..<at, .connectionString)
    }

    private static let schemes: Set<[UInt8]> = Set(
        ["basic", "bearer", "token", "digest", "negotiate", "ntlm", "apikey", "key", "jwt", "ssws", "oauth", "mac",
         "hoba", "mutual", "aws4-hmac-sha256", "splunk", "googlelogin"].map { Array($0.utf8) })

    private mutating func authorizationValue(_ b: UnsafeBufferPointer<UInt8>, from end: Int) {
        var j = Bytes.skipSpaces(b, Bytes.skipClosingQuote(b, end))
        guard j < b.count, b[j] == UInt8(ascii: ":") || b[j] == UInt8(ascii: "=") else { return }
        j = Bytes.skipSpaces(b, j + 1)
        var quote: (slashes: Int, char: UInt8)?
        var bracket = false
        if j < b.count, b[j] == UInt8(ascii: "[") {
            bracket = true
            j += 1
        } else if let q = Bytes.openingQuote(b, j) {
            quote = q
            j += q.slashes + 1
        }
        var w = j
        while w < b.count, Bytes.isAlnum(b[w]) || b[w] == UInt8(ascii: "-") { w += 1 }
        var start = j
        let hasScheme = w > j && w < b.count && b[w] == 32 && Self.schemes.contains(b[j..<w].map(LiteralAutomaton.lower))
        if hasScheme { start = Bytes.skipSpaces(b, w) }
        let stop: Int
        if bracket {
            stop = Bytes.first(UInt8(ascii: "]"), in: b, start..<b.count) ?? b.count
        } else if let quote {
            stop = Bytes.closingQuote(b, from: start, slashes: quote.slashes, char: quote.char) ?? b.count
        } else if hasScheme {
            stop = Bytes.trimmedEnd(b, from: start)
        } else {
            var e = start
            while e < b.count, !Bytes.isSpace(b[e]), b[e] != 13 { e += 1 }
            guard e - start >= 8, b[start..<e].contains(where: { !Bytes.isAlpha($0) }) else { return }
            stop = e
        }
        if stop > start, Bytes.isRealValue(b, start..<stop) { add(start..<stop, .authorizationHeader) }
    }

    private mutating func bearerToken(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ end: Int) {
        guard s == 0 || !Bytes.isAlnum(b[s - 1]), end < b.count, b[end] == 32 else { return }
        let start = Bytes.skipSpaces(b, end)
        var e = start
        var nonLetter = false
        while e < b.count, Bytes.isToken(b[e]) {
            if !Bytes.isAlpha(b[e]) { nonLetter = true }
            // "=" only pads the end of a token: "bearer expires_in=3600" is a key=value list, not a token
            if b[e] == UInt8(ascii: "="), e + 1 < b.count, Bytes.isToken(b[e + 1]), b[e + 1] != b[e] { return }
            e += 1
        }
        if e - start >= 8, nonLetter || e - start >= 24 { add(start..<e, .authorizationHeader) }
    }

    private mutating func jwtToken(_ b: UnsafeBufferPointer<UInt8>, _ s: Int) {
        guard b[s] == UInt8(ascii: "e"), b[s + 1] == UInt8(ascii: "y"), b[s + 2] == UInt8(ascii: "J"),
            s == 0 || !(Bytes.isAlnum(b[s - 1]) || b[s - 1] == UInt8(ascii: "_") || b[s - 1] == UInt8(ascii: "-"))
        else { return }
        var e = s
        var firstDot = -1
        var secondSegment = 0
        while e < b.count, Bytes.isToken(b[e]) || b[e] == UInt8(ascii: ".") {
            if b[e] == UInt8(ascii: ".") {
                if firstDot < 0 { firstDot = e }
            } else if firstDot >= 0 {
                secondSegment += 1
            }
            e += 1
        }
        while e > s, b[e - 1] == UInt8(ascii: ".") { e -= 1 }
        let isJWT = firstDot - s >= 10 && secondSegment >= 2
        if isJWT || e - s >= 40 { add(s..<e, .jwt) }
    }

    private mutating func awsKey(_ b: UnsafeBufferPointer<UInt8>, _ s: Int) {
        guard s + 20 <= b.count, s == 0 || !Bytes.isAlnum(b[s - 1]),
            s + 20 == b.count || !Bytes.isAlnum(b[s + 20]),
            b[s..<s + 4].allSatisfy(Bytes.isUpper),
            b[s + 4..<s + 20].allSatisfy({ Bytes.isUpper($0) || Bytes.isDigit($0) })
        else { return }
        add(s..<s + 20, .awsAccessKey)
    }

    private mutating func gcpKey(_ b: UnsafeBufferPointer<UInt8>, _ s: Int) {
        guard s == 0 || !Bytes.isAlnum(b[s - 1]) else { return }
        let apiKey = b[s] == UInt8(ascii: "A") && b[s + 2] == UInt8(ascii: "z")
        let accessToken = b[s] == UInt8(ascii: "y")
        guard apiKey || accessToken else { return }
        var e = s + (apiKey ? 4 : 5)
        while e < b.count, Bytes.isAlnum(b[e]) || b[e] == UInt8(ascii: "_") || b[e] == UInt8(ascii: "-")
            || (accessToken && b[e] == UInt8(ascii: "."))
        {
            e += 1
        }
        if e - s >= (apiKey ? 39 : 25) { add(s..<e, .gcpKey) }
    }

    // MARK: - PEM private keys

    private mutating func privateKeyMarker(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        var dash = start
        while dash > max(0, start - 48), !Bytes.hasPrefix(b, dash, "-----") { dash -= 1 }
        guard Bytes.hasPrefix(b, dash, "-----BEGIN ") else { return }
        var markerEnd = end
        if Bytes.hasPrefix(b, markerEnd, " BLOCK") { markerEnd += 6 }
        guard Bytes.hasPrefix(b, markerEnd, "-----") else { return }
        markerEnd += 5
        counts[CompiledRules.slot(.pemPrivateKey)] += 1
        if let close = Bytes.find("-----END", in: b, from: markerEnd) {
            if b[markerEnd..<close].contains(where: Bytes.isAlnum) { add(markerEnd..<close, .pemPrivateKey, counts: false) }
        } else {
            let stop = Bytes.trimmedEnd(b, from: markerEnd)
            if stop > markerEnd { add(markerEnd..<stop, .pemPrivateKey, counts: false) }
            inPrivateKey = true
        }
    }

    private mutating func privateKeyBody(_ b: UnsafeBufferPointer<UInt8>) {
        let start = Bytes.contentStart(b)
        if let close = Bytes.find("-----END", in: b, from: start) {
            inPrivateKey = false
            if b[start..<close].contains(where: Bytes.isAlnum) { add(start..<close, .pemPrivateKey, counts: false) }
            return
        }
        let stop = Bytes.trimmedEnd(b, from: start)
        if b[start..<stop].allSatisfy({ Bytes.isAlnum($0) || Bytes.isAny($0, of: "+/=") || Bytes.isSpace($0) }) {
            if stop > start { add(start..<stop, .pemPrivateKey, counts: false) }
        } else if !Bytes.hasPrefix(b, start, "Proc-Type:") && !Bytes.hasPrefix(b, start, "DEK-Info:") {
            inPrivateKey = false
        }
    }

    // MARK: - key = value, env entries

    private mutating func nameSpot(_ b: UnsafeBufferPointer<UInt8>, _ ns: Int, _ ne: Int) {
        guard rules.names.isSecret(UnsafeBufferPointer(rebasing: b[ns..<ne])) else { return }
        let inParameters = ns > 0 && Bytes.isAny(b[ns - 1], of: "?&;")
        if !keyValue(b, ns, ne, rule: inParameters ? .connectionString : .secretKeyValue) {
            envName(b, ns, ne)
        }
    }

    /// `name` (at ns..<ne) followed by `=`/`:` and a value: hides the value. Returns whether a value was found.
    @discardableResult
    private mutating func keyValue(_ b: UnsafeBufferPointer<UInt8>, _ ns: Int, _ ne: Int, rule: RedactionRule) -> Bool {
        let afterQuote = Bytes.skipClosingQuote(b, ne)
        let quotedKey = afterQuote != ne
        var j = Bytes.skipSpaces(b, afterQuote)
        guard j < b.count else { return false }
        let sep = b[j]
        let colon = sep == UInt8(ascii: ":")
        if colon, ns >= 2, b[ns - 1] == UInt8(ascii: "/"), b[ns - 2] == UInt8(ascii: "/") { return false }  // URL user info
        guard colon || sep == UInt8(ascii: "=") else {
            return cliFlagValue(b, ns, ne, rule: rule)
        }
        if j + 1 < b.count {
            let next = b[j + 1]
            if !colon && next == sep { return false }  // ==
            if colon && (next == sep || (next == UInt8(ascii: "/") && j + 2 < b.count && b[j + 2] == next)) { return false }
            if colon && next == UInt8(ascii: "=") { j += 1 }  // :=
        }
        j = Bytes.skipSpaces(b, j + 1)
        let yaml = colon && !quotedKey && Bytes.onlyIndent(b, before: ns)
        if yaml, Bytes.isBlockScalarHeader(b, at: j) {
            blockScalar = (keyColumn: ns - Bytes.textStart(b), rule: rule, counted: false)
            return true
        }
        guard let (value, quoted) = Bytes.value(b, at: j, toLineEnd: yaml), Bytes.isRealValue(b, value) else {
            return false
        }
        if colon && !quoted && !yaml && value.count <= 16 && b[value].allSatisfy({ (97...122).contains($0) }) {
            return false  // prose: "Failed to refresh token: connection refused"
        }
        let normalized = SecretNames.normalize(Array(b[ns..<ne]))
        if normalized == Array("pwd".utf8), b[value.lowerBound] == UInt8(ascii: "/") { return false }  // PWD=/app
        add(value, rule)
        return true
    }

    /// `--password VALUE` (a flag followed by a space).
    private mutating func cliFlagValue(_ b: UnsafeBufferPointer<UInt8>, _ ns: Int, _ ne: Int, rule: RedactionRule) -> Bool {
        guard ne - ns > 2, b[ns] == UInt8(ascii: "-"), b[ns + 1] == UInt8(ascii: "-"), ne + 1 < b.count, b[ne] == 32,
            b[ne + 1] != UInt8(ascii: "-"), let (value, _) = Bytes.value(b, at: ne + 1, toLineEnd: false),
            Bytes.isRealValue(b, value)
        else { return false }
        add(value, rule)
        return true
    }

    /// A secret-looking name that is the value of a `name` key: hides the `value` that follows on the same line,
    /// or remembers to look at the next line.
    private mutating func envName(_ b: UnsafeBufferPointer<UInt8>, _ ns: Int, _ ne: Int) {
        var k = ns
        if k > 0, b[k - 1] == UInt8(ascii: "\"") || b[k - 1] == UInt8(ascii: "'") {
            k -= 1
            while k > 0, b[k - 1] == UInt8(ascii: "\\") { k -= 1 }
        }
        k = Bytes.skipSpacesBack(b, k)
        guard k > 0, b[k - 1] == UInt8(ascii: ":") || b[k - 1] == UInt8(ascii: "=") else { return }
        k = Bytes.skipSpacesBack(b, k - 1)
        while k > 0, Bytes.isAny(b[k - 1], of: "\"'\\") { k -= 1 }
        guard k >= 4, Bytes.equalsLower(b, k - 4, "name"), k == 4 || !Bytes.isName(b[k - 5]) else { return }
        var j = Bytes.skipSpaces(b, Bytes.skipClosingQuote(b, ne))
        if j < b.count, b[j] == UInt8(ascii: ",") { j = Bytes.skipSpaces(b, j + 1) }
        if Bytes.trimmedEnd(b, from: j) == j {
            pendingEnvValue = true
            return
        }
        valueKey(b, at: j)
    }

    private mutating func nextLineEnvValue(_ b: UnsafeBufferPointer<UInt8>) {
        valueKey(b, at: Bytes.skipSpaces(b, Bytes.contentStart(b)))
    }

    /// `value: X` / `"value": "X"` at `j`.
    private mutating func valueKey(_ b: UnsafeBufferPointer<UInt8>, at j: Int) {
        let q = Bytes.openingQuote(b, j).map { j + $0.slashes + 1 } ?? j
        guard Bytes.equalsLower(b, q, "value"), q + 5 == b.count || !Bytes.isName(b[q + 5]) else { return }
        keyValue(b, q, q + 5, rule: .envValue)
    }

    // MARK: - Registered values and playbook patterns

    private mutating func knownSpot(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ indices: [Int]) {
        var best = -1
        for index in indices {
            let value = rules.knownValues[index]
            guard s + value.count <= b.count, best < 0 || value.count > rules.knownValues[best].count else { continue }
            if value.indices.allSatisfy({ b[s + $0] == value[$0] }) { best = index }
        }
        guard best >= 0 else { return }
        var e = s + rules.knownValues[best].count
        let alias = rules.knownAlias[best]
        if alias >= 0 { while e < b.count, b[e] == UInt8(ascii: "=") { e += 1 } }
        hits.append(SecretHit(range: s..<e, slot: CompiledRules.slot(.knownSecretValue), alias: alias))
    }

    private mutating func patternSpot(_ b: UnsafeBufferPointer<UInt8>, _ index: Int) {
        let slot = CompiledRules.builtInSlots + index
        var found: [Range<Int>] = []
        rules.patterns[index].secrets(in: b) { found.append($0) }
        hits += found.map { SecretHit(range: $0, slot: slot) }
    }
}
