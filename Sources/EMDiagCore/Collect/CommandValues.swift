import Foundation

/// Parses the human values of command-line flags (`--since 2h`, `--timeout 90s`, `--max-log-bytes 5MiB`).
/// Errors are `CommandValueError`, naming the flag and showing a valid example.
package enum CommandValues {
    /// `90s`, `5m`, `1h30m`, `2h`, `1d`, or a bare number of seconds.
    package static func duration(_ text: String, flag: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 {
            return .milliseconds(Int64(seconds * 1000))
        }
        var total = 0.0
        var number = ""
        var sawUnit = false
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var chars = Array(trimmed)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isNumber || c == "." {
                number.append(c)
            } else if c == "m", i + 1 < chars.count, chars[i + 1] == "s" {  // "ms"
                guard let value = Double(number) else { break }
                total += value / 1000
                number = ""
                sawUnit = true
                i += 1
            } else if let unit = units[c], let value = Double(number) {
                total += value * unit
                number = ""
                sawUnit = true
            } else {
                chars = []
                break
            }
            i += 1
        }
        guard !chars.isEmpty, sawUnit, number.isEmpty, total >= 0 else {
            throw CommandValueError(flag: flag, value: text, expected: "a duration such as 90s, 5m, 1h30m or 2d")
        }
        return .milliseconds(Int64(total * 1000))
    }

    /// `5000000`, `500KB`, `5MB`, `5MiB`, `1GiB` (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024).
    package static func byteCount(_ text: String, flag: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1_000_000, "mb": 1_000_000, "g": 1e9, "gb": 1e9,
            "ki": 1024, "kib": 1024, "mi": 1_048_576, "mib": 1_048_576, "gi": 1_073_741_824, "gib": 1_073_741_824,
        ]
        guard let value = Double(digits), let multiplier = multipliers[unit], value >= 0 else {
            throw CommandValueError(flag: flag, value: text, expected: "a size such as 5000000, 500KB, 5MiB or 1GiB")
        }
        return Int64(value * multiplier)
    }

    /// The default bundle name: `emdiag-<namespace>-<UTC yyyyMMdd'T'HHmmss'Z'>.tar.gz`.
    package static func defaultBundleName(namespace: String, at date: Date) -> String {
        "emdiag-\(namespace)-\(compactUTC(date)).tar.gz"
    }

    /// `20261128T190800Z`.
    package static func compactUTC(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ v: Int?, _ width: Int) -> String {
            let s = String(v ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }
}

/// A flag value that could not be understood.
package struct CommandValueError: Error, CustomStringConvertible, Sendable {
    package var flag: String
    package var value: String
    package var expected: String
    package var description: String { "\(flag) \"\(value)\" is not valid: expected \(expected)." }
}
