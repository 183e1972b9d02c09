import Foundation
import Testing

@testable import EMDiagCore

/// Shared helpers of the redaction tests.
enum RedactFixtures {
    /// A fixed key, so placeholders are stable inside one test.
    static let key = Array(repeating: UInt8(7), count: 32)

    static func redactor(_ policy: RedactionPolicy = RedactionPolicy()) throws -> Redactor {
        try Redactor(policy: policy, placeholderKey: key)
    }

    static func base64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

    /// Every form a secret value could leak in: itself, standard base64, base64 without padding.
    static func leakForms(_ s: String) -> [String] {
        let encoded = base64(s)
        return [s, encoded, String(encoded.prefix { $0 != "=" })]
    }

    /// Redacts `text` by streaming it through a sink in chunks of `chunkSize` bytes.
    static func stream(_ text: String, through redactor: Redactor, chunkSize: Int, file: String = "t.log") throws -> String {
        let out = MemoryByteSink()
        let sink = redactor.sink(file: file, output: out)
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(i + chunkSize, bytes.count)
            try bytes[i..<end].withUnsafeBytes { try sink.write($0) }
            i = end
        }
        try sink.close()
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
