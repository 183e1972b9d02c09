import EMDiagTestSupport
import Foundation
import Testing

@testable import EMDiagCore

/// A minimal kubeconfig: one cluster, one user, one context, with extra YAML for each part.
func kubeconfigYAML(
    cluster: String = "prod", server: String? = "https://10.0.0.1:6443", clusterExtra: String = "",
    user: String = "admin", userBody: String = "token: abc", context: String = "prod-admin",
    contextExtra: String = "", current: String? = "prod-admin"
) -> String {
    """
    apiVersion: v1
    kind: Config
    \(current.map { "current-context: \($0)" } ?? "")
    clusters:
    - name: \(cluster)
      cluster:
        \(server.map { "server: \($0)" } ?? "insecure-skip-tls-verify: false")
        \(clusterExtra)
    users:
    - name: \(user)
      user:
        \(userBody)
    contexts:
    - name: \(context)
      context:
        cluster: \(cluster)
        user: \(user)
        \(contextExtra)
    """
}

@Suite struct KubeConfigLoaderTests {
    func resolve(_ options: KubeConnectionOptions = KubeConnectionOptions(), env: [String: String]) throws -> KubeEndpoint {
        try KubeConfigLoader.resolve(options: options, environment: env)
    }

    func expectConfigError(
        _ body: () throws -> Void, file expectedFile: String, field: String, line: Int? = nil, mentions: String
    ) {
        do {
            try body()
            Issue.record("expected a configuration error about \(field)")
        } catch let KubeError.config(file, errorLine, errorField, message) {
            #expect(file == expectedFile)
            #expect(errorField.hasSuffix(field), "field was \(errorField)")
            if let line { #expect(errorLine == line) }
            #expect(message.contains(mentions), "message was \(message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func readsClusterUserAndContextFieldsWithRelativePaths() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        try dir.write("conf/certs/ca.pem", "CA")
        try dir.write("conf/certs/client.pem", "CERT")
        try dir.write("conf/certs/client.key", "KEY")
        let file = try dir.write("conf/config", kubeconfigYAML(
            clusterExtra: "certificate-authority: certs/ca.pem\n    tls-server-name: api.internal\n    proxy-url: http://proxy:3128",
            userBody: "client-certificate: certs/client.pem\n    client-key: certs/client.key",
            contextExtra: "namespace: em"))
        let endpoint = try resolve(env: ["KUBECONFIG": file])
        #expect(endpoint.server == "https://10.0.0.1:6443")
        #expect(endpoint.tls.certificateAuthority == .file("\(dir.path)/conf/certs/ca.pem"))
        #expect(endpoint.tls.clientCertificate == .file("\(dir.path)/conf/certs/client.pem"))
        #expect(endpoint.tls.clientKey == .file("\(dir.path)/conf/certs/client.key"))
        #expect(endpoint.tls.serverName == "api.internal")
        #expect(endpoint.proxyURL == "http://proxy:3128")
        #expect(endpoint.namespace == "em")
        #expect(endpoint.contextName == "prod-admin" && endpoint.clusterName == "prod" && endpoint.userName == "admin")
        #expect(endpoint.auth == .anonymous)
        #expect(endpoint.identity.contains("\"admin\"") && endpoint.identity.contains(file))
    }

    @Test func decodesDataFieldsAndBasicAuth() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let ca = Data("CA-PEM".utf8).base64EncodedString()
        let file = try dir.write("config", kubeconfigYAML(
            clusterExtra: "certificate-authority-data: \(ca)", userBody: "username: bob\n    password: hunter2"))
        let endpoint = try resolve(env: ["KUBECONFIG": file])
        #expect(endpoint.tls.certificateAuthority == .data(Array("CA-PEM".utf8)))
        #expect(endpoint.auth == .basic(username: "bob", password: "hunter2"))
        #expect(!"\(endpoint)".contains("hunter2"))
        var dumped = ""
        dump(endpoint.auth, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func tokenAndTokenFileTogetherUseTheToken() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        try dir.write("tok", "from-file")
        let file = try dir.write("config", kubeconfigYAML(userBody: "token: inline\n    tokenFile: tok"))
        #expect(try resolve(env: ["KUBECONFIG": file]).auth == .token("inline"))
        let fileOnly = try dir.write("config2", kubeconfigYAML(userBody: "tokenFile: tok"))
        #expect(try resolve(env: ["KUBECONFIG": fileOnly]).auth == .tokenFile(path: "\(dir.path)/tok"))
    }

    @Test func kubeconfigListMergesFirstDefinitionWinsAndSkipsMissingFiles() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let first = try dir.write("a", """
            clusters:
            - name: shared
              cluster: {server: "https://first:6443"}
            contexts:
            - name: ctx-a
              context: {cluster: shared, user: u}
            users:
            - name: u
              user: {token: first-token}
            """)
        let second = try dir.write("b", """
            current-context: ctx-b
            clusters:
            - name: shared
              cluster: {server: "https://second:6443"}
            - name: only-b
              cluster: {server: "https://only-b:6443"}
            contexts:
            - name: ctx-b
              context: {cluster: only-b, user: u, namespace: bns}
            - name: ctx-a
              context: {cluster: only-b, user: u}
            users:
            - name: u
              user: {token: second-token}
            """)
        let third = try dir.write("c", "current-context: ctx-a\n")
        let env = ["KUBECONFIG": "\(dir.path)/missing:\(first)::\(second):\(third)"]
        // current-context comes from the first file that sets it (b), not the later c.
        let endpoint = try resolve(env: env)
        #expect(endpoint.contextName == "ctx-b")
        #expect(endpoint.server == "https://only-b:6443")
        #expect(endpoint.auth == .token("first-token"))
        #expect(endpoint.namespace == "bns")
        // ctx-a and cluster "shared" are taken from the first file that defines them.
        let overridden = try resolve(KubeConnectionOptions(context: "ctx-a"), env: env)
        #expect(overridden.server == "https://first:6443")
        #expect(overridden.namespace == "default")
        #expect(try resolve(KubeConnectionOptions(context: "ctx-b", namespace: "flag-ns"), env: env).namespace == "flag-ns")
    }

    @Test func explicitKubeconfigWinsOverTheEnvironmentAndMustExist() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let envFile = try dir.write("env", kubeconfigYAML(server: "https://env:1"))
        let flagFile = try dir.write("flag", kubeconfigYAML(server: "https://flag:1"))
        let home = try dir.write("home/.kube/config", kubeconfigYAML(server: "https://home:1"))
        #expect(try resolve(KubeConnectionOptions(kubeconfig: flagFile), env: ["KUBECONFIG": envFile]).server == "https://flag:1")
        #expect(try resolve(env: ["KUBECONFIG": envFile, "HOME": "\(dir.path)/home"]).server == "https://env:1")
        #expect(try resolve(env: ["HOME": "\(dir.path)/home"]).server == "https://home:1")
        #expect(home.hasPrefix(dir.path))
        expectConfigError({ _ = try resolve(KubeConnectionOptions(kubeconfig: "\(dir.path)/nope"), env: [:]) },
                          file: "\(dir.path)/nope", field: "--kubeconfig", mentions: "does not exist")
    }

    @Test func rejectsWhatKubectlRejects() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let noServer = try dir.write("no-server", kubeconfigYAML(server: nil))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": noServer]) },
                          file: noServer, field: "server", mentions: "no server found for cluster \"prod\"")
        let badContext = try dir.write("bad-current", kubeconfigYAML(current: "gone"))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": badContext]) },
                          file: badContext, field: "current-context", line: 3, mentions: "\"gone\"")
        expectConfigError({ _ = try resolve(KubeConnectionOptions(context: "nope"), env: ["KUBECONFIG": noServer]) },
                          file: noServer, field: "--context", mentions: "prod-admin")
        let missingCA = try dir.write("missing-ca", kubeconfigYAML(clusterExtra: "certificate-authority: ca/none.pem"))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": missingCA]) },
                          file: missingCA, field: "certificate-authority", line: 8, mentions: "\(dir.path)/ca/none.pem")
        let badBase64 = try dir.write("bad-b64", kubeconfigYAML(userBody: "client-certificate-data: '%%%'\n    client-key-data: a2V5"))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": badBase64]) },
                          file: badBase64, field: "client-certificate-data", line: 12, mentions: "base64")
        let insecureCA = try dir.write("insecure-ca", kubeconfigYAML(
            clusterExtra: "insecure-skip-tls-verify: true\n    certificate-authority-data: Q0E="))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": insecureCA]) },
                          file: insecureCA, field: "insecure-skip-tls-verify", mentions: "insecure")
        let twoMethods = try dir.write("two", kubeconfigYAML(userBody: "token: t\n    username: u\n    password: p"))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": twoMethods]) },
                          file: twoMethods, field: "token", mentions: "more than one authentication method")
        let certNoKey = try dir.write("cert-no-key", kubeconfigYAML(userBody: "client-certificate-data: Q0VSVA=="))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": certNoKey]) },
                          file: certNoKey, field: "client-certificate", mentions: "client-key")
        let execNoMode = try dir.write("exec-v1", kubeconfigYAML(
            userBody: "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: plugin"))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": execNoMode]) },
                          file: execNoMode, field: "exec.interactiveMode", mentions: "interactiveMode must be specified")
        let notYAML = try dir.write("broken", "clusters:\n- name: x\n  cluster: [unclosed\n")
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": notYAML]) },
                          file: notYAML, field: "(document)", mentions: "not valid YAML")
        let badBool = try dir.write("bad-bool", kubeconfigYAML(clusterExtra: "insecure-skip-tls-verify: \"maybe\""))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": badBool]) },
                          file: badBool, field: "insecure-skip-tls-verify", mentions: "true or false")
    }

    @Test func anUndefinedUserIsAnErrorButNoUserMeansAnonymous() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let ghost = try dir.write("ghost", kubeconfigYAML().replacingOccurrences(of: "user: admin", with: "user: ghost"))
        expectConfigError({ _ = try resolve(env: ["KUBECONFIG": ghost]) }, file: ghost, field: "context.user", line: 17,
                          mentions: "\"ghost\"")
        let none = try dir.write("none", kubeconfigYAML().replacingOccurrences(of: "    user: admin\n", with: ""))
        let endpoint = try resolve(env: ["KUBECONFIG": none])
        #expect(endpoint.auth == .anonymous && endpoint.userName == nil)
        #expect(endpoint.identity.contains("anonymous"))
    }

    @Test func serverWithoutSchemeGetsKubectlsDefault() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let plain = try dir.write("plain", kubeconfigYAML(server: "10.0.0.9:8080"))
        #expect(try resolve(env: ["KUBECONFIG": plain]).server == "http://10.0.0.9:8080")
        let secure = try dir.write("secure", kubeconfigYAML(server: "10.0.0.9:6443/", clusterExtra: "insecure-skip-tls-verify: true"))
        #expect(try resolve(env: ["KUBECONFIG": secure]).server == "https://10.0.0.9:6443")
    }

    @Test func execCommandWithASlashResolvesAgainstTheKubeconfigFolder() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let file = try dir.write("sub/config", kubeconfigYAML(userBody: """
            exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./bin/plugin
                  args: [get-token, --cluster, prod]
                  env: [{name: A, value: "1"}]
                  installHint: install it
            """))
        guard case .exec(let exec) = try resolve(env: ["KUBECONFIG": file]).auth else {
            Issue.record("expected exec auth")
            return
        }
        #expect(exec.command == "\(dir.path)/sub/./bin/plugin")
        #expect(exec.args == ["get-token", "--cluster", "prod"])
        #expect(exec.env == [KubeExecEnvVar(name: "A", value: "1")])
        #expect(exec.installHint == "install it")
        #expect(exec.interactiveMode == nil)
    }
}

@Suite struct KubeInClusterTests {
    func serviceAccount(_ dir: TemporaryFolder, namespace: String? = "em") throws -> String {
        try dir.write("sa/token", "sa-token\n")
        try dir.write("sa/ca.crt", "CA")
        if let namespace { try dir.write("sa/namespace", namespace) }
        return "\(dir.path)/sa"
    }

    @Test func usesTheServiceAccountWhenNoKubeconfigExists() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let folder = try serviceAccount(dir)
        let env = ["HOME": dir.path, "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let endpoint = try KubeConfigLoader.resolve(options: KubeConnectionOptions(serviceAccountFolder: folder), environment: env)
        #expect(endpoint.server == "https://10.96.0.1:443")
        #expect(endpoint.auth == .tokenFile(path: "\(folder)/token"))
        #expect(endpoint.tls.certificateAuthority == .file("\(folder)/ca.crt"))
        #expect(endpoint.namespace == "em")
        #expect(endpoint.identity.contains("in-cluster service account"))
        let overridden = try KubeConfigLoader.resolve(
            options: KubeConnectionOptions(namespace: "other", serviceAccountFolder: folder), environment: env)
        #expect(overridden.namespace == "other")
    }

    @Test func theServiceAccountFolderVariableReplacesOnlyTheDefaultFolder() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let folder = try serviceAccount(dir)
        var env = ["HOME": dir.path, "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        env[KubeInCluster.folderVariable] = folder
        let endpoint = try KubeConfigLoader.resolve(options: KubeConnectionOptions(), environment: env)
        #expect(endpoint.auth == .tokenFile(path: "\(folder)/token"))
        let explicit = KubeConnectionOptions(serviceAccountFolder: "\(dir.path)/elsewhere")
        #expect(throws: KubeError.self) { _ = try KubeConfigLoader.resolve(options: explicit, environment: env) }
    }

    @Test func bracketsIPv6AndDefaultsTheNamespace() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let folder = try serviceAccount(dir, namespace: nil)
        let endpoint = try KubeInCluster.endpoint(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"], folder: folder, namespace: nil)
        #expect(endpoint.server == "https://[fd00::1]:6443")
        #expect(endpoint.namespace == "default")
    }

    @Test func aKubeconfigBeatsInClusterAndNothingAtAllIsAClearError() throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let folder = try serviceAccount(dir)
        try dir.write(".kube/config", kubeconfigYAML())
        let env = ["HOME": dir.path, "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let options = KubeConnectionOptions(serviceAccountFolder: folder)
        #expect(try KubeConfigLoader.resolve(options: options, environment: env).server == "https://10.0.0.1:6443")
        #expect(throws: KubeError.noConfiguration(searched: ["\(dir.path)/empty/.kube/config"])) {
            _ = try KubeConfigLoader.resolve(options: options, environment: ["HOME": "\(dir.path)/empty"])
        }
        let missingToken = try TemporaryFolder("kube")
        defer { missingToken.remove() }
        #expect(throws: KubeError.self) {
            _ = try KubeConfigLoader.resolve(
                options: KubeConnectionOptions(serviceAccountFolder: missingToken.path),
                environment: ["HOME": "\(dir.path)/empty", "KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "1"])
        }
    }
}
