/// Why `emdiag collect` could not produce a bundle at all (exit code 3), or stopped (130).
/// Problems with single items never end up here: they are `Manifest.CollectionIssue`s and the run goes on.
package enum CollectError: Error, CustomStringConvertible, Sendable {
    /// The API server could not be reached or rejected us before anything was collected.
    case clusterUnreachable(KubeError)
    /// The target namespace does not exist.
    case namespaceMissing(namespace: String, server: String)
    /// SIGINT/SIGTERM: the run stopped and left nothing at the output path.
    case interrupted
    /// The staging folder or the archive could not be written.
    case bundle(BundleError)

    package var description: String {
        switch self {
        case .clusterUnreachable(let error):
            "Nothing could be collected: \(error)"
        case .namespaceMissing(let namespace, let server):
            "Nothing could be collected: namespace \"\(namespace)\" does not exist on \(server). "
                + "Pass the namespace of the em-runtime release with -n (kubectl get ns lists them)."
        case .interrupted:
            "Interrupted: no bundle was written."
        case .bundle(let error):
            "The bundle could not be written: \(error)"
        }
    }
}
