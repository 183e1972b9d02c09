import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// collect from `serve Fixtures/<x>` → serve the written .tar.gz → collect again: the same objects, the same log
/// bytes (logs are stored with timestamps; serve keeps them because collect asks for them) and the same Helm history.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RoundTripTests {
    /// What a bundle holds that a second collection must reproduce.
    struct Contents: Sendable, Equatable {
        /// List file path → item names, for every List but the Secrets (stored redacted, so re-redacted differently).
        var names: [String: [String]] = [:]
        /// Pod name → its `status`.
        var podStatus: [String: JSONValue] = [:]
        /// Log path → bytes.
        var logs: [String: Data] = [:]
        /// The Helm history (`helm/<ns>/<release>.json`), as the analysis reads it.
        var helm: [HelmReleaseRecord] = []
    }

    static func contents(of directory: BundleDirectory) throws -> Contents {
        var contents = Contents()
        for path in directory.files() where path.hasPrefix("api") && path.hasSuffix(".json") && !path.hasSuffix("/secrets.json") {
            let items = try directory.json(path)["items"]?.array ?? []
            contents.names[path] = items.compactMap { $0[path: "metadata.name"]?.string }
            if path.hasSuffix("/pods.json") {
                for pod in items {
                    contents.podStatus[pod[path: "metadata.name"]?.string ?? ""] = pod["status"]
                }
            }
        }
        for path in directory.files() where path.contains("/log/") {
            contents.logs[path] = try directory.data(path)
        }
        contents.helm = HelmReleaseRecord.storedFiles(in: directory).flatMap(\.records)
        return contents
    }

    @Test func collectServeCollectGivesTheSameObjectsAndLogs() async throws {
        try await Sandbox.with { sandbox in
            let first = sandbox.output("first.tar.gz")
            let second = sandbox.output("second.tar.gz")
            let one = try await sandbox.withServe(Repository.scenario("migration-conflict")) { served in
                try await sandbox.collect(served, to: "first.tar.gz", ["--no-http-checks"])
            }
            #expect(one.status == 1, "\(one)")
            let two = try await sandbox.withServe(first) { served in
                try await sandbox.collect(served, to: "second.tar.gz", ["--no-http-checks"])
            }
            #expect(two.status == 1, "\(two)")
            #expect(try two.report().findings == one.report().findings)

            let before = try await sandbox.open(first, Self.contents)
            let after = try await sandbox.open(second, Self.contents)
            #expect(before.names.keys.sorted() == after.names.keys.sorted())
            for (path, names) in before.names {
                #expect(after.names[path] == names, "\(path)")
            }
            #expect(before.podStatus.count == 8)
            #expect(before.podStatus == after.podStatus)
            #expect(before.logs.keys.sorted() == after.logs.keys.sorted())
            #expect(before.logs.count > 10)
            for (path, bytes) in before.logs {
                #expect(after.logs[path] == bytes, "\(path) differs after the round trip")
            }
            // serve rebuilds the release Secrets from helm/, so the second collection keeps the history.
            #expect(before.helm.map(\.revision).sorted() == [1, 2])
            #expect(after.helm == before.helm)
            let timestamps = try await sandbox.manifest(second).files.filter { $0.path.contains("/log/") }
            #expect(timestamps.allSatisfy { $0.timestamps == true })
        }
    }
}
