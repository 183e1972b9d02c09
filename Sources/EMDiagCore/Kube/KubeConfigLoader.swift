import Foundation

/// The connection flags every subcommand shares (`--kubeconfig`, `--context`, `-n`, `--concurrency`, `--request-timeout`).
/// Plain values: the executable maps its parsed flags onto this.
package struct KubeConnectionOptions: Sendable, Hashable {
    package var kubeconfig: String?
    package var context: String?
    package var namespace: String?
    /// Requests in flight at once against the API server.
    package var concurrency: Int
    /// Time limit of one request (each retry gets a fresh one).
    package var requestTimeout: Duration
    /// The service-account folder used in-cluster (the default gives way to `EMDIAG_SERVICEACCOUNT_DIR`).
    package var serviceAccountFolder: String

    package init(
        kubeconfig: String? = nil, context: String? = nil, namespace: String? = nil, concurrency: Int = 8,
        requestTimeout: Duration = .seconds(30), serviceAccountFolder: String = KubeInCluster.defaultFolder
    ) {
        self.kubeconfig = kubeconfig
        self.context = context
        self.namespace = namespace
        self.concurrency = concurrency
        self.requestTimeout = requestTimeout
        self.serviceAccountFolder = serviceAccountFolder
    }
}

/// Finds, merges and validates kubeconfig files with kubectl's rules, and resolves them to a `KubeEndpoint`.
package enum KubeConfigLoader {
    /// Resolves the connection: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`, else in-cluster.
    /// - Parameters:
    ///   - options: the command-line overrides.
    ///   - environment: the process environment (`KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_HOST`/`_PORT`).
    /// - Throws: `KubeError.config` naming the file and field, or `KubeError.noConfiguration`.
    package static func resolve(
        options: KubeConnectionOptions, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubeEndpoint {
        let (paths, explicit) = configPaths(options: options, environment: environment)
        let config = try load(paths: paths, explicit: explicit)
        if config.isEmpty, !explicit, KubeInCluster.isAvailable(environment: environment) {
            return try KubeInCluster.endpoint(
                environment: environment, folder: KubeInCluster.folder(option: options.serviceAccountFolder, environment: environment),
                namespace: options.namespace)
        }
        if config.isEmpty, config.files.isEmpty, !explicit {
            throw KubeError.noConfiguration(searched: paths)
        }
        return try endpoint(from: config, context: options.context, namespace: options.namespace)
    }

    /// The files to read, in priority order, and whether they were named explicitly with `--kubeconfig`.
    package static func configPaths(
        options: KubeConnectionOptions, environment: [String: String]
    ) -> (paths: [String], explicit: Bool) {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : (cwd as NSString).appendingPathComponent(path)
        }
        if let file = options.kubeconfig, !file.isEmpty { return ([absolute(file)], true) }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            var seen = Set<String>()
            let paths = list.split(separator: ":").map { absolute(String($0)) }.filter { seen.insert($0).inserted }
            return (paths, false)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return ([(home as NSString).appendingPathComponent(".kube/config")], false)
    }

    /// Reads and merges `paths`; missing files are skipped unless `explicit` (kubectl's rule).
    /// - Throws: `KubeError.config` for an explicit missing file, an unreadable file or invalid content.
    package static func load(paths: [String], explicit: Bool) throws -> KubeConfig {
        var configs: [KubeConfig] = []
        for path in paths {
            guard FileManager.default.fileExists(atPath: path) else {
                if explicit {
                    throw KubeError.config(file: path, line: nil, field: "--kubeconfig",
                                           message: "the file does not exist. Check the path given to --kubeconfig.")
                }
                continue
            }
            configs.append(try KubeConfig.parse(yaml: try readText(path, field: "(file)"), file: path))
        }
        return KubeConfig.merged(configs)
    }

    /// Picks the context (override, else current-context) and validates what it uses, as kubectl does.
    /// - Throws: `KubeError.config` naming the file, field and what to do.
    package static func endpoint(from config: KubeConfig, context override: String?, namespace: String?) throws
        -> KubeEndpoint
    {
        let files = config.files.joined(separator: ", ")
        let known = config.contexts.keys.sorted().joined(separator: ", ")
        let contextName: String
        if let override, !override.isEmpty {
            guard config.contexts[override] != nil else {
                throw KubeError.config(file: files, line: nil, field: "--context",
                                       message: "context \"\(override)\" is not defined (defined: \(known.isEmpty ? "none" : known)). "
                                           + "Pick one of those, or see `kubectl config get-contexts`.")
            }
            contextName = override
        } else if let current = config.currentContext {
            guard config.contexts[current] != nil else {
                let origin = config.currentContextOrigin ?? KubeConfigOrigin(file: files, path: "")
                throw KubeError.config(file: origin.file, line: origin.line, field: "current-context",
                                       message: "names context \"\(current)\", which no kubeconfig file defines (defined: "
                                           + "\(known.isEmpty ? "none" : known)). Run `kubectl config use-context NAME` or pass --context.")
            }
            contextName = current
        } else {
            throw KubeError.config(file: files, line: nil, field: "current-context",
                                   message: "no current-context is set (defined contexts: \(known.isEmpty ? "none" : known)). "
                                       + "Pass --context NAME or run `kubectl config use-context NAME`.")
        }
        guard let context = config.contexts[contextName] else {
            throw KubeError.config(file: files, line: nil, field: "contexts", message: "context \"\(contextName)\" vanished")
        }
        guard let clusterName = context.cluster, !clusterName.isEmpty else {
            throw context.origin.error("cluster", "context \"\(contextName)\" names no cluster. Add `cluster: NAME`.")
        }
        guard let cluster = config.clusters[clusterName] else {
            throw context.origin.error("cluster", "names cluster \"\(clusterName)\", which no kubeconfig file defines "
                + "(defined: \(config.clusters.keys.sorted().joined(separator: ", "))). Fix the name or add the cluster entry.")
        }
        var tls = try clusterTLS(cluster)
        var endpoint = KubeEndpoint(
            server: try serverURL(cluster, hasTLS: tls != TLSConfiguration()), tls: tls,
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? context.namespace.flatMap { $0.isEmpty ? nil : $0 }
                ?? "default",
            source: .kubeconfig(files: config.files))
        endpoint.contextName = contextName
        endpoint.clusterName = clusterName
        endpoint.clusterOrigin = cluster.origin
        endpoint.proxyURL = try proxyURL(cluster)
        if let userName = context.user, !userName.isEmpty {
            if let user = config.users[userName] {
                endpoint.auth = try userAuth(user, tls: &tls)
                endpoint.tls = tls
                endpoint.userName = userName
                endpoint.userOrigin = user.origin
            } else {
                // kubectl falls back to prompting for a username here, which fails without a terminal.
                throw context.origin.error("user", "names user \"\(userName)\", which no kubeconfig file defines (defined: "
                    + "\(config.users.keys.sorted().joined(separator: ", "))). Fix the name or add the user entry.")
            }
        }
        return endpoint
    }

    private static func serverURL(_ cluster: KubeClusterEntry, hasTLS: Bool) throws -> String {
        guard var server = cluster.server, !server.isEmpty else {
            throw cluster.origin.error("server", "no server found for cluster \"\(cluster.name)\". "
                + "Add `server: https://HOST:PORT` (the API server address).")
        }
        if !server.contains("://") { server = (hasTLS ? "https://" : "http://") + server }  // kubectl's default scheme
        guard let url = URL(string: server), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw cluster.origin.error("server", "\"\(server)\" is not an http(s) URL. Use `https://HOST:PORT`.")
        }
        while server.hasSuffix("/") { server.removeLast() }
        return server
    }

    private static func clusterTLS(_ cluster: KubeClusterEntry) throws -> TLSConfiguration {
        var tls = TLSConfiguration(insecureSkipVerify: cluster.insecureSkipTLSVerify, serverName: cluster.tlsServerName)
        if cluster.certificateAuthority != nil, cluster.certificateAuthorityData != nil {
            throw cluster.origin.error("certificate-authority", "certificate-authority-data and certificate-authority are "
                + "both specified for \"\(cluster.name)\". Keep only one of them.")
        }
        if let data = cluster.certificateAuthorityData {
            tls.certificateAuthority = .data(data)
        } else if let file = cluster.certificateAuthority {
            try readText(file, origin: cluster.origin, field: "certificate-authority")
            tls.certificateAuthority = .file(file)
        }
        if tls.insecureSkipVerify, tls.certificateAuthority != nil {
            throw cluster.origin.error("insecure-skip-tls-verify", "specifying a root certificates file with the insecure flag "
                + "is not allowed (kubectl refuses it too). Remove insecure-skip-tls-verify or the certificate-authority.")
        }
        return tls
    }

    private static func proxyURL(_ cluster: KubeClusterEntry) throws -> String? {
        guard let proxy = cluster.proxyURL, !proxy.isEmpty else { return nil }
        guard let url = URL(string: proxy), let scheme = url.scheme?.lowercased(),
            ["http", "https", "socks5"].contains(scheme), url.host != nil
        else {
            throw cluster.origin.error("proxy-url", "\"\(proxy)\" is not a proxy URL: use http://, https:// or socks5://HOST:PORT.")
        }
        return proxy
    }

    private static func userAuth(_ user: KubeUserEntry, tls: inout TLSConfiguration) throws -> KubeAuth {
        let origin = user.origin
        if let provider = user.authProvider {
            throw origin.error("auth-provider", "the legacy auth-provider \"\(provider)\" is not supported (kubectl removed most "
                + "of them too). Switch the user to an exec plugin, for example kubelogin or gke-gcloud-auth-plugin.")
        }
        let hasToken = !(user.token ?? "").isEmpty
        let hasBasic = !(user.username ?? "").isEmpty || !(user.password ?? "").isEmpty
        if hasToken, hasBasic {
            throw origin.error("token", "more than one authentication method found for \"\(user.name)\"; found [token basicAuth], "
                + "only one is allowed. Remove the token or the username/password.")
        }
        try clientCertificate(user, tls: &tls)
        if let exec = user.exec { try validate(exec, user: user) }
        if hasToken, let token = user.token { return .token(token) }
        if let file = user.tokenFile {
            try readText(file, origin: origin, field: "tokenFile")
            return .tokenFile(path: file)
        }
        if hasBasic { return .basic(username: user.username ?? "", password: user.password ?? "") }
        if let exec = user.exec { return .exec(exec) }
        return .anonymous
    }

    private static func clientCertificate(_ user: KubeUserEntry, tls: inout TLSConfiguration) throws {
        let origin = user.origin
        guard user.clientCertificate != nil || user.clientCertificateData != nil else { return }
        if user.clientCertificate != nil, user.clientCertificateData != nil {
            throw origin.error("client-certificate", "client-certificate-data and client-certificate are both specified for "
                + "\"\(user.name)\". Keep only one of them.")
        }
        if user.clientKey != nil, user.clientKeyData != nil {
            throw origin.error("client-key", "client-key-data and client-key are both specified for \"\(user.name)\". "
                + "Keep only one of them.")
        }
        if user.clientKey == nil, user.clientKeyData == nil {
            throw origin.error("client-certificate", "client-key-data or client-key must be specified for \"\(user.name)\" to use "
                + "the client certificate. Add the key that belongs to the certificate.")
        }
        if let data = user.clientCertificateData {
            tls.clientCertificate = .data(data)
        } else if let file = user.clientCertificate {
            try readText(file, origin: origin, field: "client-certificate")
            tls.clientCertificate = .file(file)
        }
        if let data = user.clientKeyData {
            tls.clientKey = .data(data)
        } else if let file = user.clientKey {
            try readText(file, origin: origin, field: "client-key")
            tls.clientKey = .file(file)
        }
    }

    private static func validate(_ exec: KubeExecConfig, user: KubeUserEntry) throws {
        let origin = user.origin
        if exec.command.isEmpty {
            throw origin.error("exec.command", "command must be specified for \"\(user.name)\" to use the exec plugin.")
        }
        guard [KubeExecConfig.v1, KubeExecConfig.v1beta1].contains(exec.apiVersion) else {
            let found = exec.apiVersion.isEmpty ? "it is missing" : "found \"\(exec.apiVersion)\""
            throw origin.error("exec.apiVersion", "must be \(KubeExecConfig.v1) or \(KubeExecConfig.v1beta1); \(found). "
                + "Update the plugin configuration (for example re-run the cloud CLI's get-credentials command).")
        }
        if exec.env.contains(where: { $0.name.isEmpty }) {
            throw origin.error("exec.env", "an env variable name must be specified for \"\(user.name)\" to use the exec plugin.")
        }
        switch exec.interactiveMode {
        case nil where exec.apiVersion == KubeExecConfig.v1:
            throw origin.error("exec.interactiveMode", "interactiveMode must be specified for \"\(user.name)\" to use the exec "
                + "plugin with \(KubeExecConfig.v1). Add `interactiveMode: Never` (or IfAvailable).")
        case nil, "Never", "IfAvailable", "Always": break
        case let mode?:
            throw origin.error("exec.interactiveMode", "invalid interactiveMode \"\(mode)\": use Never, IfAvailable or Always.")
        }
    }

    /// Reads a small file, turning failures into an error naming the kubeconfig entry and field.
    @discardableResult
    static func readText(_ path: String, origin: KubeConfigOrigin? = nil, field: String) throws -> String {
        do {
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it is not readable" : "the file does not exist"
            let message = "unable to read \(path): \(reason). Fix the path (relative paths count from the kubeconfig's folder)."
            throw origin?.error(field, message) ?? KubeError.config(file: path, line: nil, field: field, message: message)
        }
    }
}
