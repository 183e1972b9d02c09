import Foundation

/// `manifest.json`: what the bundle holds, how it was made and what could not be collected.
package struct Manifest: Codable, Sendable, Equatable {
    package static let currentSchemaVersion = 1

    package struct Tool: Codable, Sendable, Equatable {
        package var name: String
        package var version: String
        package init(name: String = "emdiag", version: String = EMDiagVersion.current) {
            self.name = name
            self.version = version
        }
    }

    package struct Target: Codable, Sendable, Equatable {
        package var server: String?
        package var context: String?
        package var cluster: String?
        package var namespace: String
        package var release: String?
        package var serverVersion: String?
        package init(
            server: String? = nil, context: String? = nil, cluster: String? = nil, namespace: String,
            release: String? = nil, serverVersion: String? = nil
        ) {
            self.server = server
            self.context = context
            self.cluster = cluster
            self.namespace = namespace
            self.release = release
            self.serverVersion = serverVersion
        }
    }

    package struct File: Codable, Sendable, Equatable {
        package var path: String
        package var size: Int
        package var sha256: String
        /// Log files collected with `timestamps=true` start each line with an RFC 3339 time.
        package var timestamps: Bool?
        /// The log was cut to fit `--max-log-bytes` (its first tenth and its newest bytes are kept).
        package var truncated: Bool?
        package init(path: String, size: Int, sha256: String, timestamps: Bool? = nil, truncated: Bool? = nil) {
            self.path = path
            self.size = size
            self.sha256 = sha256
            self.timestamps = timestamps
            self.truncated = truncated
        }
    }

    /// One thing that was not collected, and why. Collector failures are data, never a crash.
    package struct CollectionIssue: Codable, Sendable, Equatable {
        package enum Status: String, Codable, Sendable { case error, skipped, forbidden, notFound, timeout }
        package var item: String          // "logs Pod/em/governance-0 container=app previous"
        package var path: String?         // where it would have been stored
        package var status: Status
        package var reason: String
        package var httpStatus: Int?
        package init(item: String, path: String? = nil, status: Status, reason: String, httpStatus: Int? = nil) {
            self.item = item
            self.path = path
            self.status = status
            self.reason = reason
            self.httpStatus = httpStatus
        }
    }

    package struct Redaction: Codable, Sendable, Equatable {
        package var enabled: Bool
        package var rules: [String]
        package var report: String?     // path of redaction-report.json
        package init(enabled: Bool, rules: [String] = [], report: String? = nil) {
            self.enabled = enabled
            self.rules = rules
            self.report = report
        }
    }

    package var schemaVersion: Int
    package var tool: Tool
    package var createdAt: Date
    package var target: Target
    /// True when collection stopped early (`--timeout`); the bundle is complete but not exhaustive.
    package var partial: Bool
    package var redaction: Redaction
    package var playbooks: [String]
    package var files: [File]
    package var collection: [CollectionIssue]

    package init(
        createdAt: Date, target: Target, partial: Bool = false, redaction: Redaction, playbooks: [String] = [],
        files: [File] = [], collection: [CollectionIssue] = []
    ) {
        self.schemaVersion = Manifest.currentSchemaVersion
        self.tool = Tool()
        self.createdAt = createdAt
        self.target = target
        self.partial = partial
        self.redaction = redaction
        self.playbooks = playbooks
        self.files = files
        self.collection = collection
    }
}
