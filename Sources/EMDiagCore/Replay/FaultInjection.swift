import Foundation
import Yams

/// A problem in a `--faults` scenario file; the description names the file and the rule.
package struct FaultPlanError: Error, CustomStringConvertible, Sendable, Equatable {
    package var file: String
    package var message: String

    package var description: String {
        "\(file): \(message). See docs/serve.md for the fault file format."
    }
}

/// One fault rule of a `--faults` file: which requests it matches and what it does to them.
package struct FaultRule: Sendable, Equatable, Decodable {
    /// A regular expression searched in the request path (anchor it with `^`/`$`).
    package var path: String?
    /// A glob over the request path: `*` matches within one segment, `**` across segments.
    package var glob: String?
    /// Only this HTTP method (any method when absent).
    package var method: String?
    /// Answer with this status (a Kubernetes `Status` body) instead of the real answer.
    package var status: Int?
    /// With `status`: a `Retry-After` header, in seconds.
    package var retryAfter: Int?
    /// Apply to every Nth matching request only (the Nth, 2Nth, ...).
    package var everyNth: Int?
    /// Apply to the first N requests it would apply to, then never again.
    package var times: Int?
    /// Delay the answer by this many milliseconds.
    package var latencyMs: Int?
    /// Close the connection after this many body bytes (a cut in the middle of a log stream).
    package var resetAfterBytes: Int?

    package init(
        path: String? = nil, glob: String? = nil, method: String? = nil, status: Int? = nil, retryAfter: Int? = nil,
        everyNth: Int? = nil, times: Int? = nil, latencyMs: Int? = nil, resetAfterBytes: Int? = nil
    ) {
        self.path = path
        self.glob = glob
        self.method = method
        self.status = status
        self.retryAfter = retryAfter
        self.everyNth = everyNth
        self.times = times
        self.latencyMs = latencyMs
        self.resetAfterBytes = resetAfterBytes
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case path, glob, method, status, retryAfter, everyNth, times, latencyMs, resetAfterBytes
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package init(from decoder: any Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).first(where: { !known.contains($0) }) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unknown key \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))"))
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        glob = try c.decodeIfPresent(String.self, forKey: .glob)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        status = try c.decodeIfPresent(Int.self, forKey: .status)
        retryAfter = try c.decodeIfPresent(Int.self, forKey: .retryAfter)
        everyNth = try c.decodeIfPresent(Int.self, forKey: .everyNth)
        times = try c.decodeIfPresent(Int.self, forKey: .times)
        latencyMs = try c.decodeIfPresent(Int.self, forKey: .latencyMs)
        resetAfterBytes = try c.decodeIfPresent(Int.self, forKey: .resetAfterBytes)
    }

    /// Why the rule is unusable, or nil when it is fine.
    fileprivate var problem: String? {
        if (path == nil) == (glob == nil) { return "give exactly one of path (a regular expression) or glob" }
        if status == nil, latencyMs == nil, resetAfterBytes == nil { return "give at least one of status, latencyMs, resetAfterBytes" }
        if let status, !(100...599).contains(status) { return "status \(status) is not an HTTP status code" }
        if retryAfter != nil, status == nil { return "retryAfter needs a status" }
        for (name, value) in [("everyNth", everyNth), ("times", times), ("resetAfterBytes", resetAfterBytes)] {
            if let value, value < 1 { return "\(name) must be at least 1" }
        }
        for (name, value) in [("latencyMs", latencyMs), ("retryAfter", retryAfter)] {
            if let value, value < 0 { return "\(name) must not be negative" }
        }
        return nil
    }

    /// The anchored regular expression of a glob: `*` is `[^/]*`, `**` is `.*`, `?` is `[^/]`.
    package static func regex(fromGlob glob: String) -> String {
        var out = "^"
        var chars = Array(glob)[...]
        while let ch = chars.popFirst() {
            switch ch {
            case "*" where chars.first == "*":
                chars.removeFirst()
                out += ".*"
            case "*": out += "[^/]*"
            case "?": out += "[^/]"
            default: out += NSRegularExpression.escapedPattern(for: String(ch))
            }
        }
        return out + "$"
    }
}

/// The rules of a `--faults` file, in order. The file is YAML or JSON: either a list of rules or `{rules: [...]}`.
package struct FaultPlan: Sendable, Equatable, Decodable {
    package var rules: [FaultRule]

    package init(rules: [FaultRule]) {
        self.rules = rules
    }

    private enum CodingKeys: String, CodingKey { case rules }

    package init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: CodingKeys.self), keyed.contains(.rules) {
            rules = try keyed.decode([FaultRule].self, forKey: .rules)
        } else {
            rules = try [FaultRule](from: decoder)
        }
    }

    /// Reads and checks a fault file.
    /// - Throws: `FaultPlanError` naming the file and the rule that is wrong.
    package static func load(path: String) throws -> FaultPlan {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FaultPlanError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, file: path)
    }

    /// Parses fault rules from YAML or JSON text.
    /// - Throws: `FaultPlanError` naming `file` and the rule that is wrong.
    package static func parse(_ text: String, file: String) throws -> FaultPlan {
        let plan: FaultPlan
        do {
            plan = try YAMLDecoder().decode(FaultPlan.self, from: text)
        } catch let DecodingError.dataCorrupted(context) {
            throw FaultPlanError(file: file, message: "\(Self.location(context.codingPath))\(context.debugDescription)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw FaultPlanError(file: file, message: "\(Self.location(context.codingPath))\(context.debugDescription)")
        } catch {
            throw FaultPlanError(file: file, message: "not a list of fault rules: \(error)")
        }
        for (index, rule) in plan.rules.enumerated() {
            if let problem = rule.problem { throw FaultPlanError(file: file, message: "rule \(index + 1): \(problem)") }
            if let pattern = rule.path, (try? NSRegularExpression(pattern: pattern)) == nil {
                throw FaultPlanError(file: file, message: "rule \(index + 1): path \"\(pattern)\" is not a valid regular expression")
            }
        }
        return plan
    }

    private static func location(_ path: [any CodingKey]) -> String {
        let rule = path.first { $0.intValue != nil }?.intValue.map { "rule \($0 + 1): " } ?? ""
        let key = path.last.flatMap { $0.intValue == nil ? "\($0.stringValue): " : nil } ?? ""
        return rule + key
    }
}

/// What to do to one request, decided by `FaultInjector`.
package struct FaultAction: Sendable, Equatable {
    /// The rule (1-based) that fired.
    package var rule: Int
    package var status: Int?
    package var retryAfter: Int?
    package var latencyMs: Int?
    package var resetAfterBytes: Int?

    package init(rule: Int, status: Int? = nil, retryAfter: Int? = nil, latencyMs: Int? = nil, resetAfterBytes: Int? = nil) {
        self.rule = rule
        self.status = status
        self.retryAfter = retryAfter
        self.latencyMs = latencyMs
        self.resetAfterBytes = resetAfterBytes
    }

    /// The injected error answer, when the rule sets a status.
    package var response: ReplayResponse? {
        guard let status else { return nil }
        var response = ReplayResponse.status(
            status, reason: ReplayResponse.reason(forStatus: status),
            message: "injected fault (emdiag serve --faults, rule \(rule)): status \(status)")
        if let retryAfter { response.headers.append(HTTPHeader("Retry-After", "\(retryAfter)")) }
        return response
    }
}

/// Applies a `FaultPlan` to a stream of requests. Every rule whose path and method match counts the request;
/// the first rule that fires (its `everyNth` turn, `times` not used up) decides the action.
// @unchecked Sendable: the counters are only read and written under `lock`; the compiled expressions are
// immutable after init and NSRegularExpression is documented as safe to use from several threads.
package final class FaultInjector: @unchecked Sendable {
    private let rules: [(rule: FaultRule, regex: NSRegularExpression)]
    private let lock = NSLock()
    private var seen: [Int]
    private var fired: [Int]

    /// - Throws: `FaultPlanError` when a path expression does not compile (plans from `FaultPlan.load` always do).
    package init(plan: FaultPlan) throws {
        rules = try plan.rules.enumerated().map { index, rule in
            let pattern = rule.path ?? FaultRule.regex(fromGlob: rule.glob ?? "")
            do {
                return (rule, try NSRegularExpression(pattern: pattern))
            } catch {
                throw FaultPlanError(file: "fault plan", message: "rule \(index + 1): \"\(pattern)\" is not a valid regular expression")
            }
        }
        seen = Array(repeating: 0, count: rules.count)
        fired = Array(repeating: 0, count: rules.count)
    }

    /// Decides what happens to one request (and counts it).
    package func decide(method: String, path: String) -> FaultAction? {
        let range = NSRange(path.startIndex..., in: path)
        let matching = rules.indices.filter { index in
            let rule = rules[index].rule
            if let wanted = rule.method, wanted.uppercased() != method.uppercased() { return false }
            return rules[index].regex.firstMatch(in: path, range: range) != nil
        }
        lock.lock()
        defer { lock.unlock() }
        var action: FaultAction?
        for index in matching {
            seen[index] += 1
            let rule = rules[index].rule
            guard action == nil, seen[index] % (rule.everyNth ?? 1) == 0, fired[index] < (rule.times ?? Int.max) else { continue }
            fired[index] += 1
            action = FaultAction(
                rule: index + 1, status: rule.status, retryAfter: rule.retryAfter, latencyMs: rule.latencyMs,
                resetAfterBytes: rule.resetAfterBytes)
        }
        return action
    }
}
