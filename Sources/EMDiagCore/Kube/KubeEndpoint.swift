import Foundation

/// How requests prove who they are (a static client certificate lives in `KubeEndpoint.tls` instead).
/// `description` and the reflection mirror never show a secret, so even `dump(endpoint)` is safe to log.
package enum KubeAuth: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    case anonymous
    case token(String)
    /// A token file re-read whenever it changes (projected service-account tokens rotate).
    case tokenFile(path: String)
    case basic(username: String, password: String)
    case exec(KubeExecConfig)

    package var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .token: "bearer token (redacted)"
        case .tokenFile(let path): "bearer token from \(path)"
        case .basic(let username, _): "basic auth as \"\(username)\" (password redacted)"
        case .exec(let config): "exec plugin \(config.command) (\(config.apiVersion))"
        }
    }

    package var customMirror: Mirror { Mirror(self, children: ["auth": description]) }
}

/// Where the endpoint's settings came from.
package enum KubeEndpointSource: Sendable, Hashable {
    case kubeconfig(files: [String])
    case inCluster(serviceAccountFolder: String)
}

/// Everything needed to talk to one API server: the resolved result of kubeconfig (or in-cluster) loading.
package struct KubeEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `https://host:port` plus any path prefix, without a trailing slash.
    package var server: String
    package var tls: TLSConfiguration
    package var auth: KubeAuth
    package var namespace: String
    package var contextName: String?
    package var clusterName: String?
    package var userName: String?
    package var proxyURL: String?
    package var source: KubeEndpointSource
    /// Where the user entry was defined (for errors about credentials); nil in-cluster or for anonymous access.
    package var userOrigin: KubeConfigOrigin?
    /// Where the cluster entry was defined (for errors about the CA or server).
    package var clusterOrigin: KubeConfigOrigin?
    /// Things kubectl tolerates silently but a support engineer should know (for example an undefined user entry).
    package var warnings: [String] = []

    package init(
        server: String, tls: TLSConfiguration = TLSConfiguration(), auth: KubeAuth = .anonymous,
        namespace: String = "default", source: KubeEndpointSource = .kubeconfig(files: [])
    ) {
        self.server = server
        self.tls = tls
        self.auth = auth
        self.namespace = namespace
        self.source = source
    }

    /// Who the requests run as, for error messages: the kubeconfig user entry or the service account.
    package var identity: String {
        switch source {
        case .inCluster(let folder): return "the in-cluster service account (token in \(folder))"
        case .kubeconfig:
            guard let userName else { return "anonymous access (context \"\(contextName ?? "")\" names no user)" }
            let file = userOrigin.map { " in \($0.file)" } ?? ""
            return "kubeconfig user \"\(userName)\"\(file)"
        }
    }

    package var description: String {
        let context = contextName.map { "context \"\($0)\", " } ?? ""
        return "\(server) (\(context)namespace \"\(namespace)\", \(auth))"
    }
}
