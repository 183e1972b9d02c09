import Foundation
import Testing

@testable import EMDiagCore

@Suite struct CommandValuesTests {
    @Test(arguments: [
        ("90s", 90_000), ("5m", 300_000), ("1h30m", 5_400_000), ("2d", 172_800_000), ("45", 45_000),
        ("250ms", 250), ("1.5s", 1_500),
    ])
    func durations(text: String, milliseconds: Int64) throws {
        #expect(try CommandValues.duration(text, flag: "--timeout") == .milliseconds(milliseconds))
    }

    @Test(arguments: ["", "5x", "m5", "1h30", "-3s", "abc"])
    func badDurationsNameTheFlag(text: String) {
        #expect {
            try CommandValues.duration(text, flag: "--since")
        } throws: { error in
            "\(error)".contains("--since") && "\(error)".contains("90s")
        }
    }

    @Test(arguments: [("5000000", 5_000_000), ("500KB", 500_000), ("5MiB", 5_242_880), ("1GiB", 1_073_741_824), ("2 mb", 2_000_000)])
    func byteCounts(text: String, bytes: Int64) throws {
        #expect(try CommandValues.byteCount(text, flag: "--max-log-bytes") == bytes)
    }

    @Test func badByteCount() {
        #expect(throws: CommandValueError.self) { try CommandValues.byteCount("5 parsecs", flag: "--max-log-bytes") }
    }

    @Test func defaultBundleNameIsUTCStamped() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T...
        let name = CommandValues.defaultBundleName(namespace: "em", at: date)
        #expect(name.hasPrefix("emdiag-em-2026"))
        #expect(name.hasSuffix("Z.tar.gz"))
        #expect(name.count == "emdiag-em-20261118T000000Z.tar.gz".count)
    }
}
