import Foundation

/// The kubeconfig `emdiag serve --kubeconfig-out` writes: one cluster (the replay server), one context
/// whose namespace is the bundle's, and a placeholder token (the server checks no credentials).
package enum ReplayKubeconfig {
    /// Renders the kubeconfig YAML.
    /// - Parameters:
    ///   - server: `http://127.0.0.1:PORT` or `https://...`.
    ///   - namespace: the context's namespace (the bundle's target namespace), if known.
    ///   - certificateAuthorityPEM: with TLS, the server's certificate (chain) to trust; nil over TLS skips verification.
    package static func render(server: String, namespace: String?, certificateAuthorityPEM: [UInt8]? = nil) -> String {
        var cluster = "    server: \(quoted(server))\n"
        if let pem = certificateAuthorityPEM {
            cluster += "    certificate-authority-data: \(Data(pem).base64EncodedString())\n"
        } else if server.hasPrefix("https://") {
            cluster += "    insecure-skip-tls-verify: true\n"
        }
        let context = namespace.map { "    namespace: \(quoted($0))\n" } ?? ""
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: emdiag-bundle
              cluster:
            \(cluster)contexts:
            - name: emdiag-bundle
              context:
                cluster: emdiag-bundle
                user: emdiag-bundle
            \(context)current-context: emdiag-bundle
            preferences: {}
            users:
            - name: emdiag-bundle
              user:
                token: emdiag-serve-read-only

            """
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
