/// A playbook redaction pattern: written in the same portable regex syntax as log patterns (`PortableRegex`),
/// matched with POSIX `regexec` over raw line bytes. The secret is group 1, else the whole match.
///
/// `@unchecked Sendable`: the compiled `regex_t` inside `PosixRegex` is written only by `regcomp` in `init` and
/// then only read; glibc's `regexec` takes the pattern's own lock, so sinks on several threads may share it.
final class RedactionPattern: @unchecked Sendable {
    /// Literals a matching line must contain (any one of them); empty when none could be derived.
    let literals: [String]
    private let regex: PosixRegex

    init(_ pattern: String) throws(RedactionError) {
        do {
            let portable = try PortableRegex(pattern)
            regex = try PosixRegex(ere: portable.ere)
            literals = portable.requiredLiterals
        } catch {
            throw .invalidPattern(pattern: pattern, message: error.message)
        }
    }

    /// Calls `found` with the secret range (group 1, else the whole match) of every match in `line`.
    func secrets(in line: UnsafeBufferPointer<UInt8>, found: (Range<Int>) -> Void) {
        guard let base = line.baseAddress else { return }
        var from = 0
        while from <= line.count, let groups = regex.match(base + from, count: line.count - from),
            let whole = groups[0]
        {
            let secret = (groups.count > 1 ? groups[1] : nil) ?? whole
            if !secret.isEmpty { found((secret.lowerBound + from)..<(secret.upperBound + from)) }
            from += whole.isEmpty ? whole.upperBound + 1 : whole.upperBound
        }
    }
}
