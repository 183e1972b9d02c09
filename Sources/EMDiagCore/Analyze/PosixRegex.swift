#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A compiled POSIX extended regular expression (`regcomp`/`regexec`), matched against byte ranges with
/// `REG_STARTEND`, so lines are matched in place inside a scan buffer without copying.
///
/// Not `Sendable`: glibc serialises `regexec` on one `regex_t` with an internal lock, so every scanning worker
/// compiles its own copy instead of sharing one.
package final class PosixRegex {
    private var re = regex_t()
    /// Number of groups (`re_nsub`).
    package let groupCount: Int

    /// Compiles `ere`.
    /// - Throws: the `regerror` message when POSIX refuses the pattern.
    package init(ere: String, ignoreCase: Bool = false) throws(PortableRegex.SyntaxError) {
        let flags = REG_EXTENDED | (ignoreCase ? REG_ICASE : 0)
        let rc = regcomp(&re, ere, flags)
        guard rc == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(rc, &re, &buffer, buffer.count)
            let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw PortableRegex.SyntaxError(offset: 0, message: "POSIX regcomp refused it: \(message)")
        }
        groupCount = Int(re.re_nsub)
    }

    deinit { regfree(&re) }

    /// Matches the bytes `base[0..<count]`; returns the byte ranges of group 0...groupCount (nil for groups that
    /// did not take part), or nil when there is no match.
    package func match(_ base: UnsafePointer<UInt8>, count: Int) -> [Range<Int>?]? {
        var groups = [regmatch_t](repeating: regmatch_t(rm_so: -1, rm_eo: -1), count: groupCount + 1)
        groups[0] = regmatch_t(rm_so: 0, rm_eo: regoff_t(count))
        let rc = base.withMemoryRebound(to: CChar.self, capacity: max(count, 1)) {
            regexec(&re, $0, groups.count, &groups, REG_STARTEND)
        }
        guard rc == 0 else { return nil }
        return groups.map { $0.rm_so < 0 ? nil : Int($0.rm_so)..<Int($0.rm_eo) }
    }

    /// True when the bytes match (no group extraction).
    package func matches(_ base: UnsafePointer<UInt8>, count: Int) -> Bool {
        var whole = regmatch_t(rm_so: 0, rm_eo: regoff_t(count))
        return base.withMemoryRebound(to: CChar.self, capacity: max(count, 1)) {
            regexec(&re, $0, 1, &whole, REG_STARTEND)
        } == 0
    }

    /// Matches a Swift string (used for pod names, reasons, messages: small inputs).
    package func match(_ text: String) -> [Range<Int>?]? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes.append(0) }
        let count = text.utf8.count
        return bytes.withUnsafeBufferPointer { buf -> [Range<Int>?]? in
            guard let base = buf.baseAddress else { return nil }
            return match(base, count: count)
        }
    }
}

extension PortableRegex {
    /// Compiles this pattern for POSIX; `anchored` wraps it as `^(...)$` for whole-value matches such as reasons.
    package func compile(ignoreCase: Bool = false, anchored: Bool = false) throws(SyntaxError) -> PosixRegex {
        try PosixRegex(ere: anchored ? "^(\(ere))$" : ere, ignoreCase: ignoreCase)
    }

    /// Named captures of a match of `text`, or nil when `text` does not match.
    package func captures(in text: String, using compiled: PosixRegex, groupOffset: Int = 0) -> [String: String]? {
        guard let groups = compiled.match(text) else { return nil }
        let bytes = Array(text.utf8)
        var out: [String: String] = [:]
        for (name, group) in captureNames {
            let index = group + groupOffset
            if index < groups.count, let range = groups[index] {
                out[name] = String(decoding: bytes[range], as: UTF8.self)
            }
        }
        return out
    }
}
