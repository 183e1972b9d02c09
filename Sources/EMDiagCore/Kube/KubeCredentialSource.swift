import Foundation

/// The credentials one request carries: an `Authorization` value (never logged) and the TLS settings to use.
package struct KubeCredentials: Sendable, Hashable, CustomStringConvertible {
    package var authorization: String?
    package var tls: TLSConfiguration

    package var description: String { authorization == nil ? "no Authorization header" : "Authorization header (redacted)" }
}

/// Supplies an endpoint's current credentials: static ones as they are, a token file re-read whenever it changes,
/// an exec plugin's result cached until its `expirationTimestamp`.
package actor KubeCredentialSource {
    private let endpoint: KubeEndpoint
    private let environment: [String: String]
    private let clock: KubeClock
    private let interactive: Bool
    private var fileToken: (stamp: FileStamp, token: String)?
    private var execCredential: KubeExecCredential?
    private var execRun: Task<KubeExecCredential, any Error>?

    /// Identifies one version of a file; a projected token rotates by swapping a symlink, so the target is stat'ed.
    private struct FileStamp: Equatable {
        var path: String
        var modified: Date?
        var size: Int?
        var fileNumber: Int?
    }

    package init(endpoint: KubeEndpoint, environment: [String: String], clock: KubeClock, interactive: Bool) {
        self.endpoint = endpoint
        self.environment = environment
        self.clock = clock
        self.interactive = interactive
    }

    /// The credentials for the next request.
    /// - Throws: `KubeError.config` for an unreadable token file, `KubeError.execPlugin` for a failing plugin.
    package func current() async throws -> KubeCredentials {
        switch endpoint.auth {
        case .anonymous: return KubeCredentials(authorization: nil, tls: endpoint.tls)
        case .token(let token): return KubeCredentials(authorization: "Bearer \(token)", tls: endpoint.tls)
        case .basic(let username, let password):
            let encoded = Data("\(username):\(password)".utf8).base64EncodedString()
            return KubeCredentials(authorization: "Basic \(encoded)", tls: endpoint.tls)
        case .tokenFile(let path): return KubeCredentials(authorization: "Bearer \(try token(from: path))", tls: endpoint.tls)
        case .exec(let config):
            let credential = try await execute(config)
            var tls = endpoint.tls
            if let certificate = credential.clientCertificatePEM, let key = credential.clientKeyPEM {
                tls.clientCertificate = .data(certificate)
                tls.clientKey = .data(key)
            }
            return KubeCredentials(authorization: credential.token.map { "Bearer \($0)" }, tls: tls)
        }
    }

    /// Forgets cached credentials after the server rejected them (401), so the next call re-runs the plugin or re-reads the file.
    /// - Returns: whether there was anything that a refresh could change.
    package func invalidate() -> Bool {
        switch endpoint.auth {
        case .exec:
            execCredential = nil
            return true
        case .tokenFile:
            fileToken = nil
            return true
        case .anonymous, .token, .basic: return false
        }
    }

    private func token(from path: String) throws -> String {
        let stamp = Self.stamp(path)
        if let fileToken, fileToken.stamp == stamp { return fileToken.token }
        let origin = endpoint.userOrigin
        let text = try KubeConfigLoader.readText(path, origin: origin, field: "tokenFile")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else {
            let message = "the token file \(path) is empty. Check the file (or the service-account token mount)."
            throw origin?.error("tokenFile", message) ?? KubeError.config(file: path, line: nil, field: "token", message: message)
        }
        fileToken = (stamp, text)
        return text
    }

    private static func stamp(_ path: String) -> FileStamp {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = (try? FileManager.default.attributesOfItem(atPath: target)) ?? [:]
        return FileStamp(
            path: target, modified: attributes[.modificationDate] as? Date, size: attributes[.size] as? Int,
            fileNumber: attributes[.systemFileNumber] as? Int)
    }

    private func execute(_ config: KubeExecConfig) async throws -> KubeExecCredential {
        if let cached = execCredential, cached.expiration.map({ clock.date() < $0 }) ?? true { return cached }
        if let running = execRun { return try await running.value }  // one plugin run serves every waiting request
        let (endpoint, environment, interactive) = (self.endpoint, self.environment, self.interactive)
        let run = Task {
            try await KubeExecPlugin.run(
                config, user: endpoint.userName ?? "", endpoint: endpoint, environment: environment, interactive: interactive)
        }
        execRun = run
        defer { execRun = nil }
        let credential = try await run.value
        execCredential = credential
        return credential
    }
}
