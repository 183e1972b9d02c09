import Foundation

/// `redaction-report.json`: what redaction hid in the bundle, never the values.
///
/// ```json
/// {
///   "schemaVersion": 1,
///   "enabled": true,
///   "placeholder": "<redacted:XXXXXX> = first 6 hex digits of HMAC-SHA256(random per-bundle key, value)",
///   "fingerprint": "hmac-sha256:<first 16 hex digits of HMAC-SHA256(fingerprint key, value)>",
///   "fingerprintKeyID": "1a2b3c4d",
///   "rules": [{"id": "url-credentials", "source": "built-in", "description": "..."}, ...],
///   "keyNames": ["SESSION_KEY"],
///   "totals": {"secret-data": 12, "url-credentials": 3},
///   "files": {"api/v1/namespaces/em/pods/x/log/app.log": {"url-credentials": 3}},
///   "droppedFiles": ["..."],
///   "registeredSecretValues": 12,
///   "ignoredSecretValues": 0
/// }
/// ```
/// `totals` and `files` list only rules that hid something; a file absent from `files` had nothing hidden.
/// With `--no-redact`, `enabled` is false, `rules` is empty and `warning` says the bundle may hold secrets.
package struct RedactionReport: Codable, Sendable, Equatable {
    package struct Rule: Codable, Sendable, Equatable {
        package var id: String
        /// "built-in" or "playbook".
        package var source: String
        package var description: String
    }

    package static let currentSchemaVersion = 1
    package static let disabledWarning =
        "Redaction was disabled (--no-redact): this bundle may contain passwords, tokens and keys in clear text. "
        + "Do not attach it to a ticket or share it outside your organisation."

    package var schemaVersion: Int
    package var enabled: Bool
    package var warning: String?
    package var placeholder: String
    package var fingerprint: String
    package var fingerprintKeyID: String
    package var rules: [Rule]
    package var keyNames: [String]
    package var totals: [String: Int]
    package var files: [String: [String: Int]]
    package var droppedFiles: [String]
    package var registeredSecretValues: Int
    package var ignoredSecretValues: Int

    package init(
        enabled: Bool, rules: [Rule], keyNames: [String] = [], totals: [String: Int] = [:],
        files: [String: [String: Int]] = [:], droppedFiles: [String] = [], registeredSecretValues: Int = 0,
        ignoredSecretValues: Int = 0, fingerprintKeyID: String
    ) {
        schemaVersion = Self.currentSchemaVersion
        self.enabled = enabled
        warning = enabled ? nil : Self.disabledWarning
        placeholder = "<redacted:XXXXXX> = first 6 hex digits of HMAC-SHA256(random per-bundle key, value)"
        fingerprint = "hmac-sha256:<first 16 hex digits of HMAC-SHA256(fingerprint key, value)>"
        self.fingerprintKeyID = fingerprintKeyID
        self.rules = rules
        self.keyNames = keyNames
        self.totals = totals
        self.files = files
        self.droppedFiles = droppedFiles
        self.registeredSecretValues = registeredSecretValues
        self.ignoredSecretValues = ignoredSecretValues
    }

    /// Pretty JSON with sorted keys (deterministic).
    package func serialized() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
