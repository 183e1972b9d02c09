import Foundation

/// A Kubernetes label selector in its string form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
/// joined by commas (all must hold).
package struct LabelSelector: Sendable, Hashable, Codable, CustomStringConvertible {
    package enum Operator: String, Sendable, Hashable, Codable { case equals, notEquals, `in`, notIn, exists, notExists }

    package struct Requirement: Sendable, Hashable, Codable {
        package var key: String
        package var op: Operator
        package var values: [String]
    }

    package var requirements: [Requirement]
    /// The text as written (sent as `labelSelector=` by the collector).
    package var description: String

    /// Parses `text`; returns nil for malformed selectors.
    package init?(_ text: String) {
        description = text.trimmingCharacters(in: .whitespaces)
        requirements = []
        for part in Self.splitTopLevel(description) where !part.isEmpty {
            guard let requirement = Self.requirement(part) else { return nil }
            requirements.append(requirement)
        }
    }

    /// True when `labels` satisfy every requirement.
    package func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            switch r.op {
            case .equals: labels[r.key] == r.values.first
            case .notEquals: labels[r.key] != r.values.first
            case .in: labels[r.key].map(r.values.contains) ?? false
            case .notIn: !(labels[r.key].map(r.values.contains) ?? false)
            case .exists: labels[r.key] != nil
            case .notExists: labels[r.key] == nil
            }
        }
    }

    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == ",", depth == 0 {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    private static func requirement(_ part: String) -> Requirement? {
        func valid(_ key: String) -> Bool {
            !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
        }
        for (token, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals)] {
            if let range = part.range(of: token) {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                return valid(key) ? Requirement(key: key, op: op, values: [value]) : nil
            }
        }
        let words = part.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2, let open = words[1].firstIndex(of: "("), words[1].hasSuffix(")") {
            let op = words[1][..<open].trimmingCharacters(in: .whitespaces)
            let list = words[1][words[1].index(after: open)..<words[1].index(before: words[1].endIndex)]
            let values = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard valid(words[0]) else { return nil }
            switch op {
            case "in": return Requirement(key: words[0], op: .in, values: values)
            case "notin": return Requirement(key: words[0], op: .notIn, values: values)
            default: return nil
            }
        }
        if part.hasPrefix("!") {
            let key = String(part.dropFirst()).trimmingCharacters(in: .whitespaces)
            return valid(key) ? Requirement(key: key, op: .notExists, values: []) : nil
        }
        return valid(part) ? Requirement(key: part, op: .exists, values: []) : nil
    }
}
