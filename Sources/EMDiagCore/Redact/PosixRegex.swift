#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A compiled POSIX extended regex (playbook redaction patterns), matched over raw bytes with `REG_STARTEND`.
///
/// `@unchecked Sendable`: the `regex_t` is written only by `regcomp` in `init` and freed in `deinit`;
/// in between it is only read by `regexec`, which POSIX specifies as safe to call concurrently on one
/// compiled pattern (glibc takes the pattern's own lock inside `regexec`).
final class PosixRegex: @unchecked Sendable {
    private let compiled: UnsafeMutablePointer<regex_t>
    private let groups: Int

    init(_ pattern: String) throws(RedactionError) {
        compiled = .allocate(capacity: 1)
        let rc = regcomp(compiled, pattern, REG_EXTENDED)
        guard rc == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(rc, compiled, &buffer, buffer.count)
            compiled.deallocate()
            let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .invalidPattern(pattern: pattern, message: message)
        }
        groups = Int(compiled.pointee.re_nsub)
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    /// Calls `found` with the secret range (group 1, else the whole match) of every match in `line`.
    func secrets(in line: UnsafeBufferPointer<UInt8>, found: (Range<Int>) -> Void) {
        guard let base = line.baseAddress else { return }
        var matches = [regmatch_t](repeating: regmatch_t(), count: 2)
        var from = 0
        while from <= line.count {
            matches[0].rm_so = regoff_t(from)
            matches[0].rm_eo = regoff_t(line.count)
            let flags = REG_STARTEND | (from > 0 ? REG_NOTBOL : 0)
            let rc = base.withMemoryRebound(to: CChar.self, capacity: line.count) {
                regexec(compiled, $0, 2, &matches, flags)
            }
            guard rc == 0 else { return }
            let whole = Int(matches[0].rm_so)..<Int(matches[0].rm_eo)
            let group = groups > 0 && matches[1].rm_so >= 0 ? Int(matches[1].rm_so)..<Int(matches[1].rm_eo) : whole
            if !group.isEmpty { found(group) }
            from = whole.isEmpty ? whole.upperBound + 1 : whole.upperBound
        }
    }

    /// The longest literal run (at least 3 bytes) that every match of an ERE must contain, or nil when the
    /// pattern has a top-level alternation or no such run; lines without it cannot match and skip the regex.
    static func requiredLiteral(of pattern: String) -> String? {
        var runs: [String] = []
        var run = ""
        var depth = 0
        var chars = Array(pattern)[...]
        func endRun() {
            if run.count >= 3 { runs.append(run) }
            run = ""
        }
        while let c = chars.popFirst() {
            switch c {
            case "|" where depth == 0: return nil
            case "(": depth += 1; endRun()
            case ")": depth -= 1; endRun()
            case "[":
                endRun()
                if chars.first == "^" { chars.removeFirst() }
                if chars.first == "]" { chars.removeFirst() }
                while let d = chars.popFirst(), d != "]" {}
            case "*", "?", "{":
                if !run.isEmpty { run.removeLast() }
                endRun()
                if c == "{" { while let d = chars.popFirst(), d != "}" {} }
            case "+": endRun()
            case ".", "^", "$": endRun()
            case "\\":
                guard let next = chars.popFirst() else { break }
                if depth == 0, !next.isLetter, !next.isNumber { run.append(next) } else { endRun() }
            default:
                if depth == 0 { run.append(c) } else { endRun() }
            }
        }
        endRun()
        return runs.max { $0.utf8.count < $1.utf8.count }
    }
}
