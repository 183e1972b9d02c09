import Foundation

/// In-cluster configuration, as client-go builds it: the API server from `KUBERNETES_SERVICE_HOST`/`_PORT`,
/// and the token, CA and namespace from the pod's service-account folder.
package enum KubeInCluster {
    package static let defaultFolder = "/var/run/secrets/kubernetes.io/serviceaccount"
    /// Names another service-account folder (tests; pods that project the token elsewhere).
    package static let folderVariable = "EMDIAG_SERVICEACCOUNT_DIR"

    /// The folder to read: `EMDIAG_SERVICEACCOUNT_DIR` when set, unless the options name a folder of their own.
    package static func folder(option: String, environment: [String: String]) -> String {
        guard option == defaultFolder, let folder = environment[folderVariable], !folder.isEmpty else { return option }
        return folder
    }

    /// True when both service variables are set (emdiag runs inside a pod).
    package static func isAvailable(environment: [String: String]) -> Bool {
        !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty && !(environment["KUBERNETES_SERVICE_PORT"] ?? "").isEmpty
    }

    /// Builds the endpoint. The token is read per request (and re-read when it rotates), so only its presence is checked here.
    /// - Parameters:
    ///   - folder: the service-account folder holding `token`, `ca.crt` and `namespace`.
    ///   - namespace: the `-n` override, else the folder's `namespace` file, else `default`.
    /// - Throws: `KubeError.config` naming the missing file.
    package static func endpoint(environment: [String: String], folder: String, namespace: String?) throws -> KubeEndpoint {
        let host = environment["KUBERNETES_SERVICE_HOST"] ?? ""
        let port = environment["KUBERNETES_SERVICE_PORT"] ?? ""
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host  // IPv6 literal
        let token = (folder as NSString).appendingPathComponent("token")
        guard FileManager.default.fileExists(atPath: token) else {
            throw KubeError.config(
                file: token, line: nil, field: "token",
                message: "KUBERNETES_SERVICE_HOST is set but the service-account token is missing. Mount a service account "
                    + "token into the pod (automountServiceAccountToken: true) or pass --kubeconfig.")
        }
        var tls = TLSConfiguration()
        let caFile = (folder as NSString).appendingPathComponent("ca.crt")
        var warnings: [String] = []
        if FileManager.default.fileExists(atPath: caFile) {
            tls.certificateAuthority = .file(caFile)
        } else {
            warnings.append("\(caFile) is missing; verifying the API server against the system CAs instead.")
        }
        let namespaceFile = (folder as NSString).appendingPathComponent("namespace")
        let podNamespace = (try? String(contentsOfFile: namespaceFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var endpoint = KubeEndpoint(
            server: "https://\(hostPart):\(port)", tls: tls, auth: .tokenFile(path: token),
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? podNamespace.flatMap { $0.isEmpty ? nil : $0 }
                ?? "default",
            source: .inCluster(serviceAccountFolder: folder))
        endpoint.warnings = warnings
        return endpoint
    }
}
