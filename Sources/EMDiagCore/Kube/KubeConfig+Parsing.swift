import Foundation
import Yams

extension KubeConfig {
    /// Parses one kubeconfig file's text. Relative paths resolve against the folder of `file`
    /// (which should be absolute). Unknown fields are ignored, as kubectl ignores them.
    /// - Throws: `KubeError.config` naming the file, field and line of the first problem.
    package static func parse(yaml: String, file: String) throws -> KubeConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw KubeError.config(file: file, line: Self.line(of: error), field: "(document)",
                                   message: "not valid YAML: \(Self.problem(of: error)). Fix the syntax at that line.")
        } catch {
            throw KubeError.config(file: file, line: nil, field: "(document)", message: "not valid YAML: \(error)")
        }
        var config = KubeConfig()
        config.files = [file]
        guard let root, root.null == nil else { return config }  // an empty file is an empty config, as for kubectl
        guard let top = root.mapping else {
            throw KubeError.config(file: file, line: root.mark.map { $0.line }, field: "(document)",
                                   message: "a kubeconfig is a YAML mapping with clusters, users and contexts; this is not one")
        }
        let doc = YAMLMap(mapping: top, file: file, path: "")
        if let current = try doc.string("current-context"), !current.isEmpty {
            config.currentContext = current
            config.currentContextOrigin = doc.origin(path: "", line: doc.line("current-context"))
        }
        for (name, body) in try doc.namedEntries("clusters", body: "cluster") {
            config.clusters[name] = try parseCluster(name: name, body)
        }
        for (name, body) in try doc.namedEntries("users", body: "user") {
            config.users[name] = try parseUser(name: name, body)
        }
        for (name, body) in try doc.namedEntries("contexts", body: "context") {
            config.contexts[name] = KubeContextEntry(
                name: name, origin: body.origin(), cluster: try body.string("cluster"),
                user: try body.string("user"), namespace: try body.string("namespace"))
        }
        return config
    }

    private static func parseCluster(name: String, _ map: YAMLMap) throws -> KubeClusterEntry {
        KubeClusterEntry(
            name: name, origin: map.origin(), server: try map.string("server"),
            certificateAuthority: try map.path("certificate-authority"),
            certificateAuthorityData: try map.base64("certificate-authority-data"),
            insecureSkipTLSVerify: try map.bool("insecure-skip-tls-verify") ?? false,
            tlsServerName: try map.string("tls-server-name"), proxyURL: try map.string("proxy-url"))
    }

    private static func parseUser(name: String, _ map: YAMLMap) throws -> KubeUserEntry {
        var user = KubeUserEntry(name: name, origin: map.origin())
        user.token = try map.string("token")
        user.tokenFile = try map.path("tokenFile")
        user.clientCertificate = try map.path("client-certificate")
        user.clientCertificateData = try map.base64("client-certificate-data")
        user.clientKey = try map.path("client-key")
        user.clientKeyData = try map.base64("client-key-data")
        user.username = try map.string("username")
        user.password = try map.string("password")
        if let provider = try map.map("auth-provider") {
            user.authProvider = try provider.string("name") ?? "(unnamed)"
        }
        if let exec = try map.map("exec") {
            var command = try exec.string("command") ?? ""
            // kubectl resolves the command against the kubeconfig folder only when it is a path, not a PATH lookup.
            if command.contains("/") { command = map.absolute(command) }
            var config = KubeExecConfig(apiVersion: try exec.string("apiVersion") ?? "", command: command)
            config.args = try exec.strings("args")
            config.env = try exec.list("env").map { item in
                KubeExecEnvVar(name: try item.string("name") ?? "", value: try item.string("value") ?? "")
            }
            config.installHint = try exec.string("installHint")
            config.provideClusterInfo = try exec.bool("provideClusterInfo") ?? false
            config.interactiveMode = try exec.string("interactiveMode")
            user.exec = config
        }
        for (key, line) in map.fieldLinesIncludingChildren() { user.origin.fieldLines[key] = line }
        return user
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(error)"
        }
    }
}

/// A YAML mapping with the file and document path it came from, for typed field reads with precise errors.
private struct YAMLMap {
    var mapping: Node.Mapping
    var file: String
    var path: String

    func line(_ key: String) -> Int? { (mapping[key]?.mark ?? mapping.mark).map { $0.line } }

    func origin(path override: String? = nil, line: Int? = nil) -> KubeConfigOrigin {
        var lines: [String: Int] = [:]
        for (key, value) in mapping {
            if let name = key.string, let mark = value.mark ?? key.mark { lines[name] = mark.line }
        }
        return KubeConfigOrigin(file: file, path: override ?? path, line: line ?? mapping.mark.map { $0.line },
                                fieldLines: lines)
    }

    /// Lines of nested fields such as `exec.command`, so exec errors point at the right line too.
    func fieldLinesIncludingChildren() -> [String: Int] {
        var lines: [String: Int] = [:]
        for (key, value) in mapping {
            guard let name = key.string, let child = value.mapping else { continue }
            for (childKey, childValue) in child {
                if let childName = childKey.string, let mark = childValue.mark { lines["\(name).\(childName)"] = mark.line }
            }
        }
        return lines
    }

    private func error(_ key: String, _ message: String) -> KubeError {
        .config(file: file, line: line(key), field: path.isEmpty ? key : "\(path).\(key)", message: message)
    }

    private func value(_ key: String) -> Node? {
        guard let node = mapping[key], node.null == nil else { return nil }
        return node
    }

    func string(_ key: String) throws -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else { throw error(key, "expected a string here") }
        return scalar.string
    }

    func bool(_ key: String) throws -> Bool? {
        guard let node = value(key) else { return nil }
        guard let flag = node.bool else {
            throw error(key, "expected true or false, found \"\(node.string ?? "a structure")\"")
        }
        return flag
    }

    func map(_ key: String) throws -> YAMLMap? {
        guard let node = value(key) else { return nil }
        guard let child = node.mapping else { throw error(key, "expected a mapping (key: value lines) here") }
        return YAMLMap(mapping: child, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    func strings(_ key: String) throws -> [String] {
        guard let node = value(key) else { return [] }
        guard let items = node.sequence else { throw error(key, "expected a list of strings here") }
        return try items.map { item in
            guard case .scalar(let scalar) = item else { throw error(key, "expected a list of strings here") }
            return scalar.string
        }
    }

    func list(_ key: String) throws -> [YAMLMap] {
        guard let node = value(key) else { return [] }
        guard let items = node.sequence else { throw error(key, "expected a list here") }
        return try items.enumerated().map { index, item in
            guard let child = item.mapping else { throw error(key, "item \(index) should be a mapping") }
            return YAMLMap(mapping: child, file: file, path: "\(path.isEmpty ? "" : "\(path).")\(key)[\(index)]")
        }
    }

    /// `clusters:`-style lists of `{name: N, cluster: {...}}`; within one file a repeated name replaces the earlier one.
    func namedEntries(_ key: String, body: String) throws -> [(name: String, body: YAMLMap)] {
        try list(key).map { item in
            let name = try item.string("name") ?? ""
            let bodyPath = "\(key)[\"\(name)\"].\(body)"
            let bodyMap = try item.map(body)
                ?? YAMLMap(mapping: Node.Mapping([], .implicit, .any, item.mapping.mark), file: file, path: bodyPath)
            var named = bodyMap
            named.path = bodyPath
            return (name, named)
        }
    }

    /// A file path field, made absolute against the kubeconfig's folder.
    func path(_ key: String) throws -> String? {
        guard let raw = try string(key), !raw.isEmpty else { return nil }
        return absolute(raw)
    }

    func absolute(_ raw: String) -> String {
        raw.hasPrefix("/") ? raw : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(raw)
    }

    /// A `*-data` field: standard base64 (line breaks allowed), as kubectl decodes it.
    func base64(_ key: String) throws -> [UInt8]? {
        guard let raw = try string(key), !raw.isEmpty else { return nil }
        let compact = raw.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else {
            throw error(key, "is not valid base64. Paste the base64 of the PEM file (base64 -w0 FILE), "
                + "or use the field without -data to point at a file")
        }
        return [UInt8](data)
    }
}
