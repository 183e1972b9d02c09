import Foundation

/// What can be said about a Secret value without keeping it: its length and shape. The redactor stores these
/// facts (under the Secret object's `emdiagFacts.<key>`) instead of the value, so `secret` conditions work on a
/// redacted bundle exactly as on a live cluster; on fixtures and unredacted Secrets they are computed from `data`.
package struct SecretValueFacts: Sendable, Hashable, Codable {
    /// The stored `data` value was valid base64 (the API only accepts valid base64, so false means a damaged store).
    package var base64Valid: Bool
    /// Bytes of the decoded value.
    package var length: Int
    /// The value is hex text (`0-9a-fA-F`, even length).
    package var isHex: Bool
    /// The value is base64 text; its decoded length.
    package var base64TextLength: Int?
    /// The value's URL shape, when it has `://` or looks like a host.
    package var url: URLFacts?

    package struct URLFacts: Sendable, Hashable, Codable {
        package var scheme: String?
        package var host: String?
        package var hasWhitespace: Bool
        package var hasCredentials: Bool
    }

    /// Facts of a decoded value.
    package init(value: Data, base64Valid: Bool = true) {
        self.base64Valid = base64Valid
        length = value.count
        let text = String(decoding: value, as: UTF8.self)
        isHex = !text.isEmpty && text.count % 2 == 0 && text.allSatisfy(\.isHexDigit)
        base64TextLength = Self.strictBase64(text).map(\.count)
        url = Self.urlFacts(text)
    }

    /// Facts of a Secret's `data` entry (base64 as the API stores it).
    package init(storedBase64 stored: String) {
        if let decoded = Self.strictBase64(stored) {
            self.init(value: decoded)
        } else {
            self.init(value: Data(), base64Valid: false)
        }
    }

    /// Strict standard base64 (padding required, no whitespace), or nil.
    package static func strictBase64(_ text: String) -> Data? {
        guard !text.isEmpty, text.count % 4 == 0,
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") })
        else { return nil }
        return Data(base64Encoded: text)
    }

    static func urlFacts(_ text: String) -> URLFacts {
        let hasWhitespace = text.contains { $0.isWhitespace }
        guard let schemeEnd = text.range(of: "://") else {
            return URLFacts(scheme: nil, host: nil, hasWhitespace: hasWhitespace, hasCredentials: false)
        }
        let scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        var authority = text[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var credentials = false
        if let at = authority.lastIndex(of: "@") {
            credentials = true
            authority = authority[authority.index(after: at)...]
        }
        var host = String(authority)
        if host.hasPrefix("[") {
            host = String(host.prefix { $0 != "]" }) + "]"
        } else if let colon = host.firstIndex(of: ":") {
            host = String(host[..<colon])
        }
        return URLFacts(
            scheme: scheme.isEmpty ? nil : scheme, host: host.isEmpty ? nil : host.lowercased(),
            hasWhitespace: hasWhitespace, hasCredentials: credentials)
    }

    /// Why the value fails `expect` (a sentence fragment that never contains the value), or nil when it passes.
    package func problem(_ expect: SecretExpectation, length wanted: Int?) -> String? {
        switch expect {
        case .present:
            return nil
        case .base64:
            return base64Valid ? nil : "is not valid base64"
        case .url:
            guard base64Valid else { return "is not valid base64" }
            guard let url, let scheme = url.scheme else { return "is not an absolute URL (no scheme such as https://)" }
            guard scheme == "http" || scheme == "https" else { return "has the scheme `\(scheme)`, not http or https" }
            guard url.host != nil else { return "has no host" }
            return url.hasWhitespace ? "contains whitespace" : nil
        case .hex:
            guard isHex else { return "is not hex text (\(length) bytes)" }
            if let wanted, length != wanted * 2 {
                return "is \(length / 2) bytes of hex (\(length) characters), expected \(wanted) bytes (\(wanted * 2) hex characters)"
            }
            return nil
        case .base64Text:
            guard let decoded = base64TextLength else { return "is not base64 text (\(length) bytes)" }
            if let wanted, decoded != wanted { return "decodes from base64 to \(decoded) bytes, expected \(wanted)" }
            return nil
        }
    }
}
