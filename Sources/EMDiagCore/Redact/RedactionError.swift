/// Problems setting up redaction or reading what must be redacted. Each description names the
/// pattern, Secret or file involved and says what to do. Redaction itself never fails on odd input.
package enum RedactionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A playbook `redaction.patterns` entry is not a valid POSIX extended regex.
    case invalidPattern(pattern: String, message: String)
    /// A Helm release Secret's `data.release` could not be decoded.
    case helmRelease(secret: String, message: String)
    /// The fingerprint key file could not be read or created.
    case keyFile(path: String, message: String)

    package var description: String {
        switch self {
        case .invalidPattern(let pattern, let message):
            "The redaction pattern \"\(pattern)\" is not a valid POSIX extended regular expression (\(message)). "
                + "Fix it in the playbook's redaction.patterns; bracket expressions have no escapes in POSIX."
        case .helmRelease(let secret, let message):
            "The Helm release Secret \(secret) could not be decoded (\(message)); its data.release should be "
                + "base64 of gzip'd JSON. The release record is left out of the bundle."
        case .keyFile(let path, let message):
            "The fingerprint key file \(path) could not be used (\(message)). Make it readable and 32 bytes long, "
                + "or remove it to start a new key (fingerprints then no longer compare with older bundles)."
        }
    }
}
