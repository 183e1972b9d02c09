import Foundation

/// Where a kubeconfig entry was defined: the file, the entry's line, and the line of each of its fields,
/// so errors can point at the exact place to fix.
package struct KubeConfigOrigin: Sendable, Hashable {
    package var file: String
    /// Path of the entry in the document, for example `users["admin"].user`.
    package var path: String
    package var line: Int?
    package var fieldLines: [String: Int]

    package init(file: String, path: String, line: Int? = nil, fieldLines: [String: Int] = [:]) {
        self.file = file
        self.path = path
        self.line = line
        self.fieldLines = fieldLines
    }

    /// A `KubeError.config` naming this entry's file and the field (with its line when known).
    package func error(_ field: String, _ message: String) -> KubeError {
        .config(file: file, line: fieldLines[field] ?? line, field: "\(path).\(field)", message: message)
    }
}

/// One `clusters[]` entry. File paths are already absolute.
package struct KubeClusterEntry: Sendable, Hashable {
    package var name: String
    package var origin: KubeConfigOrigin
    package var server: String?
    package var certificateAuthority: String?
    package var certificateAuthorityData: [UInt8]?
    package var insecureSkipTLSVerify = false
    package var tlsServerName: String?
    package var proxyURL: String?
}

/// One `users[].user.exec.env[]` item.
package struct KubeExecEnvVar: Sendable, Hashable {
    package var name: String
    package var value: String
}

/// An exec credential plugin (`users[].user.exec`).
package struct KubeExecConfig: Sendable, Hashable {
    package var apiVersion: String
    package var command: String
    package var args: [String] = []
    package var env: [KubeExecEnvVar] = []
    package var installHint: String?
    package var provideClusterInfo = false
    /// `Never`, `IfAvailable` or `Always`; nil when unset (allowed only for v1beta1, which defaults to IfAvailable).
    package var interactiveMode: String?

    package static let v1 = "client.authentication.k8s.io/v1"
    package static let v1beta1 = "client.authentication.k8s.io/v1beta1"
}

/// One `users[]` entry. File paths are already absolute; secrets stay out of `description`.
package struct KubeUserEntry: Sendable, Hashable, CustomStringConvertible {
    package var name: String
    package var origin: KubeConfigOrigin
    package var token: String?
    package var tokenFile: String?
    package var clientCertificate: String?
    package var clientCertificateData: [UInt8]?
    package var clientKey: String?
    package var clientKeyData: [UInt8]?
    package var username: String?
    package var password: String?
    package var exec: KubeExecConfig?
    /// Name of a legacy `auth-provider` (gcp, azure, oidc), which emdiag does not implement.
    package var authProvider: String?

    package var description: String { "user \"\(name)\" (\(origin.file))" }
}

/// One `contexts[]` entry.
package struct KubeContextEntry: Sendable, Hashable {
    package var name: String
    package var origin: KubeConfigOrigin
    package var cluster: String?
    package var user: String?
    package var namespace: String?
}

/// One parsed kubeconfig file (or the merge of several, kubectl-style).
package struct KubeConfig: Sendable, Hashable {
    package var files: [String] = []
    package var currentContext: String?
    package var currentContextOrigin: KubeConfigOrigin?
    package var clusters: [String: KubeClusterEntry] = [:]
    package var users: [String: KubeUserEntry] = [:]
    package var contexts: [String: KubeContextEntry] = [:]

    package init() {}

    package var isEmpty: Bool { clusters.isEmpty && users.isEmpty && contexts.isEmpty && currentContext == nil }

    /// Merges files the way kubectl merges `KUBECONFIG`: the first file to define a name wins,
    /// and `current-context` comes from the first file that sets it.
    package static func merged(_ configs: [KubeConfig]) -> KubeConfig {
        var result = KubeConfig()
        for config in configs {
            result.files += config.files
            if result.currentContext == nil, let current = config.currentContext {
                result.currentContext = current
                result.currentContextOrigin = config.currentContextOrigin
            }
            result.clusters.merge(config.clusters) { first, _ in first }
            result.users.merge(config.users) { first, _ in first }
            result.contexts.merge(config.contexts) { first, _ in first }
        }
        return result
    }
}
