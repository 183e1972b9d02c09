import Foundation

/// A parse error in a `labelSelector` or `fieldSelector` query parameter; the router answers 400.
package struct SelectorError: Error, CustomStringConvertible, Sendable, Equatable {
    package var parameter: String
    package var selector: String
    package var reason: String

    package var description: String {
        "unable to parse requirement in \(parameter) \"\(selector)\": \(reason)"
    }
}

/// A Kubernetes label selector (`app=db,tier!=cache,env in (a,b),!legacy,team`), matched against `metadata.labels`.
package struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    package enum Operator: Sendable, Hashable {
        case equals, notEquals, isIn, notIn, exists, doesNotExist
    }

    package struct Requirement: Sendable, Hashable {
        package var key: String
        package var op: Operator
        package var values: [String]
    }

    package var requirements: [Requirement]
    /// The selector as written (what the collector sends as `labelSelector=`).
    package var description: String

    /// Parses the selector syntax of `k8s.io/apimachinery/pkg/labels` (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`).
    /// - Throws: `SelectorError` when a requirement does not parse.
    package init(parsing text: String) throws(SelectorError) {
        requirements = []
        description = text.trimmingCharacters(in: .whitespaces)
        for raw in Self.splitTopLevel(text) {
            let part = raw.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            requirements.append(try Self.requirement(part, selector: text))
        }
    }

    package func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            let value = labels[r.key]
            switch r.op {
            case .equals: return value == r.values.first
            case .notEquals: return value != r.values.first
            case .isIn: return value.map { r.values.contains($0) } ?? false
            case .notIn: return value.map { !r.values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            }
        }
    }

    /// Splits on commas that are not inside parentheses.
    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    private static func requirement(_ part: String, selector: String) throws(SelectorError) -> Requirement {
        let fail = { (reason: String) in SelectorError(parameter: "labelSelector", selector: selector, reason: reason) }
        if part.hasPrefix("!") {
            let key = part.dropFirst().trimmingCharacters(in: .whitespaces)
            guard isValidKey(key) else { throw fail("invalid label key \"\(key)\"") }
            return Requirement(key: key, op: .doesNotExist, values: [])
        }
        for (token, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals)] {
            if let range = part.range(of: token) {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard isValidKey(key) else { throw fail("invalid label key \"\(key)\"") }
                return Requirement(key: key, op: op, values: [value])
            }
        }
        let words = part.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 1 {
            guard isValidKey(words[0]) else { throw fail("invalid label key \"\(words[0])\"") }
            return Requirement(key: words[0], op: .exists, values: [])
        }
        let rest = words[1].trimmingCharacters(in: .whitespaces)
        for (keyword, op) in [("notin", Operator.notIn), ("in", .isIn)] where rest.hasPrefix(keyword) {
            let list = rest.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            guard list.hasPrefix("("), list.hasSuffix(")") else { throw fail("found '\(list)', expected: '('") }
            let values = list.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard isValidKey(words[0]) else { throw fail("invalid label key \"\(words[0])\"") }
            return Requirement(key: words[0], op: op, values: values)
        }
        throw fail("found '\(rest)', expected: in, notin, =, ==, !=")
    }

    private static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
    }
}

/// A Kubernetes field selector (`metadata.name=x,status.phase!=Running`), matched against any dotted field path
/// of the object (the real API supports a fixed set per kind; the bundle has no such limits).
package struct FieldSelector: Sendable, Equatable {
    package struct Requirement: Sendable, Equatable {
        package var field: String
        package var equals: Bool
        package var value: String
    }

    package var requirements: [Requirement]

    /// Parses `field=value`, `field==value`, `field!=value` terms joined by commas; values may escape `\,` `\=` `\\`.
    /// - Throws: `SelectorError` when a term has no operator.
    package init(parsing text: String) throws {
        requirements = []
        for term in Self.splitUnescaped(text) where !term.isEmpty {
            requirements.append(try Self.requirement(term, selector: text))
        }
    }

    package func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { r in
            let actual = Self.fieldString(object[path: r.field])
            return (actual == r.value) == r.equals
        }
    }

    private static func fieldString(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n.rounded() == n ? String(Int64(n)) : String(n)
        default: ""
        }
    }

    /// Splits on commas not preceded by a backslash, keeping escapes for `requirement` to resolve.
    private static func splitUnescaped(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for ch in text {
            if escaped {
                current.append("\\")
                current.append(ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "," {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    private static func requirement(_ term: String, selector: String) throws -> Requirement {
        for (token, equals) in [("!=", false), ("==", true), ("=", true)] {
            if let range = term.range(of: token) {
                let field = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                return Requirement(field: field, equals: equals, value: unescape(term[range.upperBound...]))
            }
        }
        throw SelectorError(parameter: "fieldSelector", selector: selector, reason: "\"\(term)\" has no operator (=, ==, !=)")
    }

    private static func unescape(_ value: Substring) -> String {
        var out = ""
        var escaped = false
        for ch in value {
            if escaped || ch != "\\" {
                out.append(ch)
                escaped = false
            } else {
                escaped = true
            }
        }
        return out
    }
}
