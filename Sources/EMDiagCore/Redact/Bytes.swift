#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level helpers of the line matchers (ASCII classes, quotes, values). Lines are raw bytes: logs need
/// not be UTF-8, and every secret syntax the rules know is ASCII.
enum Bytes {
    static func isAlpha(_ c: UInt8) -> Bool { (65...90).contains(c) || (97...122).contains(c) }
    static func isUpper(_ c: UInt8) -> Bool { (65...90).contains(c) }
    static func isDigit(_ c: UInt8) -> Bool { (48...57).contains(c) }
    static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }
    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }
    /// Whether `c` is one of the bytes of `set` (a short ASCII literal; no allocation, unlike `String.utf8`).
    @inline(__always)
    static func isAny(_ c: UInt8, of set: StaticString) -> Bool {
        let start = set.utf8Start
        for i in 0..<set.utf8CodeUnitCount where start[i] == c { return true }
        return false
    }

    /// Characters of key and env names: `spring.datasource.password`, `--db-password`, `DB_PASSWORD`.
    static func isName(_ c: UInt8) -> Bool { isAlnum(c) || c == 95 || c == 45 || c == 46 }
    /// Characters of bearer tokens and similar opaque credentials.
    static func isToken(_ c: UInt8) -> Bool { isAlnum(c) || Bytes.isAny(c, of: "._~+/=-") }

    /// Bytes that end a URL's authority part (scheme://user:pass@host).
    static func endsURLAuthority(_ c: UInt8) -> Bool {
        c <= 32 || Bytes.isAny(c, of: "/?#\"'<>\\`{}|^[]")
    }

    static func first(_ byte: UInt8, in b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        range.first { b[$0] == byte }
    }

    static func newline(in b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < b.count, let base = b.baseAddress, let hit = memchr(base + from, 10, b.count - from) else {
            return nil
        }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    static func skipSpaces(_ b: UnsafeBufferPointer<UInt8>, _ j: Int) -> Int {
        var j = j
        while j < b.count, isSpace(b[j]) { j += 1 }
        return j
    }

    static func skipSpacesBack(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> Int {
        var k = k
        while k > 0, isSpace(b[k - 1]) { k -= 1 }
        return k
    }

    /// The end of trailing whitespace (spaces, tabs, CR) after `from`: `from..<result` is the trimmed rest.
    static func trimmedEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var e = b.count
        while e > from, isSpace(b[e - 1]) || b[e - 1] == 13 { e -= 1 }
        return max(e, from)
    }

    /// A quote opening at `j`: `"`, `'` or an escaped `\"` (any number of backslashes).
    static func openingQuote(_ b: UnsafeBufferPointer<UInt8>, _ j: Int) -> (slashes: Int, char: UInt8)? {
        var k = j
        while k < b.count, b[k] == 92 { k += 1 }
        guard k < b.count, b[k] == 34 || (b[k] == 39 && k == j) else { return nil }
        return (k - j, b[k])
    }

    /// Skips a quote closing a key at `j` (`"`, `'`, `\"`), returning `j` when there is none.
    static func skipClosingQuote(_ b: UnsafeBufferPointer<UInt8>, _ j: Int) -> Int {
        openingQuote(b, j).map { j + $0.slashes + 1 } ?? j
    }

    /// Where the string opened by `slashes` backslashes and `char` closes (the index of its first byte).
    /// Plain JSON strings close at a quote preceded by an even number of backslashes; escaped ones
    /// (`\"…\"` inside a string) at a quote preceded by exactly their own number.
    static func closingQuote(_ b: UnsafeBufferPointer<UInt8>, from: Int, slashes: Int, char: UInt8) -> Int? {
        var i = from
        while i < b.count {
            if b[i] == char {
                if char == 39 { return i }
                var run = 0
                while i - run > from, b[i - run - 1] == 92 { run += 1 }
                if slashes == 0 ? run % 2 == 0 : run == slashes { return i - slashes }
            }
            i += 1
        }
        return nil
    }

    static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i >= 0, i + count <= b.count else { return false }
        return (0..<count).allSatisfy { b[i + $0] == literal.utf8Start[$0] }
    }

    /// Case-insensitive comparison with a lower-case literal.
    static func equalsLower(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i >= 0, i + count <= b.count else { return false }
        return (0..<count).allSatisfy { LiteralAutomaton.lower(b[i + $0]) == literal.utf8Start[$0] }
    }

    static func find(_ literal: StaticString, in b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let last = b.count - literal.utf8CodeUnitCount
        guard from <= last else { return nil }
        return (from...last).first { hasPrefix(b, $0, literal) }
    }

    /// Where a line's content starts: after indentation and a leading timestamp (`timestamps=true` logs).
    static func contentStart(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        let i = skipSpaces(b, 0)
        return timestampEnd(b, from: i).map { skipSpaces(b, $0) } ?? i
    }

    /// Where a line's own text starts: after a leading timestamp (`kubectl logs --timestamps`) and its space, else 0.
    /// Indentation is counted from here.
    static func textStart(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        timestampEnd(b, from: 0).map { $0 + 1 } ?? 0
    }

    /// The index of the space after a timestamp-like token at `i` (10+ characters, starting with a digit, holding
    /// `:` or `-`), or nil.
    private static func timestampEnd(_ b: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
        guard i < b.count, isDigit(b[i]) else { return nil }
        var e = i
        while e < b.count, !isSpace(b[e]) { e += 1 }
        return e - i >= 10 && e < b.count && b[i..<e].contains(where: { $0 == 58 || $0 == 45 }) ? e : nil
    }

    /// A YAML block scalar header at `j`: `|` or `>`, an optional chomping (`+`, `-`) and indentation digit in
    /// either order, then only spaces or a `#` comment.
    static func isBlockScalarHeader(_ b: UnsafeBufferPointer<UInt8>, at j: Int) -> Bool {
        guard j < b.count, b[j] == 124 || b[j] == 62 else { return false }
        var k = j + 1
        var indicators = 0
        while k < b.count, indicators < 2, b[k] == 43 || b[k] == 45 || (49...57).contains(b[k]) {
            k += 1
            indicators += 1
        }
        let rest = skipSpaces(b, k)
        return rest == b.count || b[rest] == 13 || (b[rest] == 35 && rest > k)
    }

    /// True when only indentation, YAML list dashes or a timestamp precede the key at `ns` (its quote aside).
    static func onlyIndent(_ b: UnsafeBufferPointer<UInt8>, before ns: Int) -> Bool {
        var k = ns
        if k > 0, b[k - 1] == 34 || b[k - 1] == 39 { k -= 1 }
        let start = contentStart(b)
        return start >= k || b[start..<k].allSatisfy { isSpace($0) || $0 == 45 }
    }

    /// The value starting at `j`: a quoted string (plain, single-quoted or escaped `\"…\"`), the rest of the line
    /// (YAML), or a bare word. Returns nil for structures (`{`, `[`) and YAML block scalars (`|`, `>`).
    static func value(_ b: UnsafeBufferPointer<UInt8>, at j: Int, toLineEnd: Bool) -> (Range<Int>, quoted: Bool)? {
        guard j < b.count else { return nil }
        if let quote = openingQuote(b, j) {
            let start = j + quote.slashes + 1
            let end = closingQuote(b, from: start, slashes: quote.slashes, char: quote.char) ?? trimmedEnd(b, from: start)
            return (start..<end, true)
        }
        guard !Bytes.isAny(b[j], of: "{[|>") else { return nil }
        if toLineEnd { return (j..<trimmedEnd(b, from: j), false) }
        var e = j
        while e < b.count, !isSpace(b[e]), !Bytes.isAny(b[e], of: "\r,;&}])\"'\\") { e += 1 }
        return (j..<e, false)
    }

    private static let notSecrets: Set<[UInt8]> = Set(
        ["null", "nil", "none", "true", "false", "undefined", "redacted", "[redacted]", "<redacted>", "masked",
         "<masked>", "<hidden>", "***hidden***", "hidden", "<nil>", "''", "\"\""].map { Array($0.utf8) })

    /// False for empty values, booleans and nulls, masks (`***`, `[REDACTED]`, earlier placeholders),
    /// references (`${VAR}`, `$(VAR)`, `{{ .Values.x }}`) and documentation placeholders (`<password>`).
    static func isRealValue(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard !r.isEmpty else { return false }
        let v = b[r]
        if r.count <= 12, notSecrets.contains(v.map(LiteralAutomaton.lower)) { return false }
        if v.allSatisfy({ $0 == 42 }) { return false }  // ****
        let first = b[r.lowerBound]
        let second = r.count > 1 ? b[r.lowerBound + 1] : 0
        if first == 36 && (second == 123 || second == 40) { return false }  // ${ $(
        if first == 123 && second == 123 { return false }  // {{
        if first == 60 && b[r.upperBound - 1] == 62 { return false }  // <...>
        return true
    }
}
