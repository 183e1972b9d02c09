import Foundation

/// Everything that can go wrong talking to Kubernetes: configuration, credentials, API answers, transport.
/// Each description is a sentence naming the file and field, or the URL and object, and saying what to do.
/// No case ever carries a token, key or password.
package enum KubeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A kubeconfig (or service-account folder) entry is wrong. `line` is 1-based when known.
    case config(file: String, line: Int?, field: String, message: String)
    /// No kubeconfig file exists and emdiag is not running inside a pod.
    case noConfiguration(searched: [String])
    /// An exec credential plugin could not be run or printed something unusable.
    case execPlugin(user: String, command: String, message: String)
    /// 401: the server did not accept the credentials.
    case unauthorized(url: String, identity: String, serverMessage: String)
    /// 403: RBAC does not allow `verb` on `resource` in `namespace` (nil: cluster-wide).
    case forbidden(url: String, identity: String, verb: String, resource: String, namespace: String?, serverMessage: String)
    /// 404: the object (or resource type) does not exist.
    case notFound(url: String, object: String, serverMessage: String)
    /// Any other non-success HTTP status, after retries when the status is retryable.
    case httpStatus(url: String, status: Int, attempts: Int, serverMessage: String)
    /// The request never got an HTTP answer (connection, DNS, TLS, timeout), after `attempts` tries.
    case transport(server: String, error: HTTPError, attempts: Int, hint: String)
    /// The server answered 2xx with a body that is not what the API promises.
    case invalidResponse(url: String, message: String)
    /// The caller's deadline passed before the request could succeed.
    case deadlineExceeded(url: String, attempts: Int, lastFailure: String)

    package var description: String {
        switch self {
        case .config(let file, let line, let field, let message):
            let place = line.map { "\(file):\($0)" } ?? file
            return "\(place): \(field): \(message)"
        case .noConfiguration(let searched):
            let list = searched.isEmpty ? "no kubeconfig file" : searched.joined(separator: ", ")
            return "No Kubernetes configuration found (looked at \(list), and KUBERNETES_SERVICE_HOST is not set). "
                + "Pass --kubeconfig FILE, set KUBECONFIG, or run emdiag inside a pod with a service account."
        case .execPlugin(let user, let command, let message):
            return "The exec credential plugin \"\(command)\" of \(user) failed: \(message)"
        case .unauthorized(let url, let identity, let serverMessage):
            return "\(url): 401 Unauthorized: the server rejected the credentials of \(identity). "
                + "Refresh them (log in again, renew the token or certificate) or pick another context with --context."
                + Self.serverSaid(serverMessage)
        case .forbidden(let url, let identity, let verb, let resource, let namespace, let serverMessage):
            let scope = namespace.map { "in namespace \"\($0)\"" } ?? "cluster-wide"
            let binding = namespace == nil ? "a ClusterRole and ClusterRoleBinding" : "a Role and RoleBinding (or ClusterRole)"
            return "\(url): 403 Forbidden: \(identity) may not \(verb) \(resource) \(scope). "
                + "Grant verb \"\(verb)\" on \"\(resource)\" \(scope) through \(binding), or use a context with more rights."
                + Self.serverSaid(serverMessage)
        case .notFound(let url, let object, let serverMessage):
            return "\(url): 404 Not Found: \(object) does not exist. Check the name and namespace, "
                + "or that the resource type (CRD) is installed." + Self.serverSaid(serverMessage)
        case .httpStatus(let url, let status, let attempts, let serverMessage):
            let tries = attempts > 1 ? " after \(attempts) attempts" : ""
            return "\(url): the API server answered HTTP \(status)\(tries). Check the API server's health and try again."
                + Self.serverSaid(serverMessage)
        case .transport(_, let error, let attempts, let hint):
            let tries = attempts > 1 ? " (after \(attempts) attempts)" : ""
            return "\(error)\(tries). \(hint)"
        case .invalidResponse(let url, let message):
            return "\(url): the API server's answer could not be read: \(message). Is the server URL a Kubernetes API server?"
        case .deadlineExceeded(let url, let attempts, let lastFailure):
            return "\(url): gave up after \(attempts) attempt(s) because the time allowed ran out; last failure: \(lastFailure). "
                + "Raise the timeout or check the API server's health."
        }
    }

    private static func serverSaid(_ message: String) -> String {
        message.isEmpty ? "" : " Server said: \(message)"
    }
}
