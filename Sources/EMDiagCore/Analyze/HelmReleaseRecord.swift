import Foundation

/// One revision of a Helm release, status and metadata only (never `config` or `manifest`).
package struct HelmReleaseRecord: Sendable, Hashable, Codable {
    package var name: String
    package var namespace: String
    package var revision: Int
    package var status: String
    package var description: String?
    package var chartVersion: String?
    package var appVersion: String?
    /// Where in the bundle the record was read.
    package var path: String

    /// Decodes a `sh.helm.release.v1.<name>.v<N>` Secret as the API returns it: `data.release` is
    /// base64(base64(gzip(JSON))) (older releases: no gzip). When the data is absent or redacted, the Secret's
    /// labels `name`, `version` and `status` (which Helm sets) are used.
    /// - Returns: nil when the Secret is not a Helm release record.
    package static func decode(secret: JSONValue, path: String) -> HelmReleaseRecord? {
        let metadata = secret["metadata"]
        guard let secretName = metadata?["name"]?.string, secretName.hasPrefix("sh.helm.release.v1.") else { return nil }
        let labels = (metadata?["labels"]?.object ?? [:]).compactMapValues(\.string)
        let namespace = metadata?["namespace"]?.string ?? ""
        if let stored = secret[path: "data.release"]?.string, let json = decodePayload(stored) {
            let info = json["info"]
            return HelmReleaseRecord(
                name: json["name"]?.string ?? labels["name"] ?? "", namespace: json["namespace"]?.string ?? namespace,
                revision: json["version"]?.int ?? Int(labels["version"] ?? "") ?? 0,
                status: info?["status"]?.string ?? labels["status"] ?? "unknown",
                description: info?["description"]?.string,
                chartVersion: json[path: "chart.metadata.version"]?.string,
                appVersion: json[path: "chart.metadata.appVersion"]?.string, path: path)
        }
        guard let name = labels["name"], let revision = Int(labels["version"] ?? "") else { return nil }
        return HelmReleaseRecord(
            name: name, namespace: namespace, revision: revision, status: labels["status"] ?? "unknown",
            description: nil, chartVersion: nil, appVersion: nil, path: path)
    }

    /// base64 (API) -> base64 (Helm) -> gzip (if it starts with 1f 8b 08) -> JSON.
    package static func decodePayload(_ stored: String) -> JSONValue? {
        guard let once = Data(base64Encoded: stored),
            let twice = Data(base64Encoded: String(decoding: once, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        let bytes = [UInt8](twice)
        let plain = bytes.starts(with: [0x1f, 0x8b, 0x08]) ? (try? Inflate.gunzip(bytes)) : bytes
        return plain.flatMap { try? JSONValue.parse($0) }
    }

    /// A bundle's `helm/<ns>/<release>.json` file (collect keeps Helm history there, status and metadata only).
    package struct StoredFile: Sendable {
        package var path: String
        package var namespace: String
        package var release: String
        package var json: JSONValue

        /// The record objects: an array, an object with `releases`/`records`/`items`, or one record.
        package var items: [JSONValue] {
            if case .array(let items) = json { return items }
            if let items = json["releases"] ?? json["records"] ?? json["items"] { return items.array }
            return [json]
        }

        /// The records of `items` that have a revision; fields `name`, `namespace`, `version`/`revision`,
        /// `info.status`/`status`, `info.description`/`description`, chart version and app version.
        package var records: [HelmReleaseRecord] { items.compactMap(record(from:)) }

        /// One item as a record, or nil without a revision (`version`/`revision`).
        package func record(from item: JSONValue) -> HelmReleaseRecord? {
            guard let revision = (item["version"] ?? item["revision"])?.int else { return nil }
            return HelmReleaseRecord(
                name: item["name"]?.string ?? release, namespace: item["namespace"]?.string ?? namespace, revision: revision,
                status: (item[path: "info.status"] ?? item["status"])?.string ?? "unknown",
                description: (item[path: "info.description"] ?? item["description"])?.string,
                chartVersion: (item[path: "chart.metadata.version"] ?? item["chartVersion"])?.string,
                appVersion: (item[path: "chart.metadata.appVersion"] ?? item["appVersion"])?.string, path: path)
        }
    }

    /// The `helm/<ns>/<release>.json` files of `bundle` that parse as JSON, in path order.
    package static func storedFiles(in bundle: BundleDirectory) -> [StoredFile] {
        bundle.files(under: BundleLayout.helmDirectory).compactMap { path in
            let parts = path.split(separator: "/")
            guard parts.count == 3, path.hasSuffix(".json"), let json = try? bundle.json(path) else { return nil }
            return StoredFile(path: path, namespace: String(parts[1]), release: String(parts[2].dropLast(5)), json: json)
        }
    }
}

/// The result of one HTTP check, stored by the collector as `checks/http/<name>.json`. Decoding is lenient:
/// only `url` is required; `name` defaults to the file name, `expectStatus` to `[200]`, and a stored `ok` wins.
package struct HTTPCheckResult: Sendable, Hashable, Codable {
    package var name: String
    package var url: String
    /// The HTTP status, nil when no response came (see `error`).
    package var status: Int?
    package var expectStatus: [Int]
    /// The transport error (connection refused, TLS, timeout), if any.
    package var error: String?
    package var durationMilliseconds: Int?
    /// A short, redacted start of the body.
    package var excerpt: String?
    /// Whether the check passed, as the collector judged it (nil: judge from `status`).
    package var passed: Bool?
    /// False when no answer came because the endpoint could not be reached from the collecting machine (DNS,
    /// connection refused, timeout): that says nothing about the cluster, so such a check never fails a rule.
    package var reachable: Bool?

    package init(
        name: String, url: String, status: Int?, expectStatus: [Int] = [200], error: String? = nil,
        durationMilliseconds: Int? = nil, excerpt: String? = nil
    ) {
        self.name = name
        self.url = url
        self.status = status
        self.expectStatus = expectStatus
        self.error = error
        self.durationMilliseconds = durationMilliseconds
        self.excerpt = excerpt
        self.passed = status.map(expectStatus.contains) ?? false
    }

    enum CodingKeys: String, CodingKey {
        case name, url, status, expectStatus, error, durationMilliseconds, excerpt
        case passed = "ok"
        case reachable
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        url = try c.decode(String.self, forKey: .url)
        status = try c.decodeIfPresent(Int.self, forKey: .status)
        expectStatus = try c.decodeIfPresent([Int].self, forKey: .expectStatus) ?? [200]
        error = try c.decodeIfPresent(String.self, forKey: .error)
        durationMilliseconds = try c.decodeIfPresent(Int.self, forKey: .durationMilliseconds)
        excerpt = try c.decodeIfPresent(String.self, forKey: .excerpt)
        passed = try c.decodeIfPresent(Bool.self, forKey: .passed)
        reachable = try c.decodeIfPresent(Bool.self, forKey: .reachable)
    }

    /// Whether the check passed: the stored verdict, else a response with an expected status.
    package var ok: Bool { passed ?? status.map(expectStatus.contains) ?? false }
}
