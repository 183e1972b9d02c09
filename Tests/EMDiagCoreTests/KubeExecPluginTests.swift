import EMDiagTestSupport
import Foundation
import Testing

@testable import EMDiagCore

/// A shell script that appends a line to `count` each run and prints `json` on stdout.
func execPluginScript(_ dir: TemporaryFolder, name: String = "plugin", json: String, extra: String = "") throws -> String {
    try dir.write(name, """
        #!/bin/sh
        echo run >> "\(dir.path)/count"
        \(extra)
        cat <<'EOF'
        \(json)
        EOF
        """, executable: true)
}

func execConfig(_ command: String, version: String = KubeExecConfig.v1) -> KubeExecConfig {
    var config = KubeExecConfig(apiVersion: version, command: command)
    config.interactiveMode = "Never"
    return config
}

@Suite struct KubeExecPluginTests {
    func runs(_ dir: TemporaryFolder) -> Int {
        ((try? String(contentsOfFile: "\(dir.path)/count", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func credentials(_ config: KubeExecConfig, clock: VirtualClock = VirtualClock(), env: [String: String] = [:])
        -> KubeCredentialSource
    {
        var endpoint = KubeEndpoint(server: "https://api.test:6443", auth: .exec(config))
        endpoint.userName = "cloud-user"
        endpoint.tls.serverName = "api.internal"
        endpoint.tls.certificateAuthority = .data(Array("CA".utf8))
        return KubeCredentialSource(endpoint: endpoint, environment: env, clock: clock.clock, interactive: false)
    }

    @Test func v1TokenPluginGetsArgsEnvAndClusterInfo() async throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let script = try execPluginScript(dir, json: """
            {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"plugin-token"}}
            """, extra: #"printf '%s|%s|%s' "$1" "$MY_VAR" "$KUBERNETES_EXEC_INFO" > "\#(dir.path)/seen""#)
        var config = execConfig(script)
        config.args = ["--flag"]
        config.env = [KubeExecEnvVar(name: "MY_VAR", value: "from-kubeconfig")]
        config.provideClusterInfo = true
        let result = try await credentials(config, env: ["PATH": "/usr/bin:/bin"]).current()
        #expect(result.authorization == "Bearer plugin-token")
        let seen = try String(contentsOfFile: "\(dir.path)/seen", encoding: .utf8).split(separator: "|", maxSplits: 2)
        #expect(seen[0] == "--flag" && seen[1] == "from-kubeconfig")
        let info = try JSONValue.parse(Array(seen[2].utf8))
        #expect(info["apiVersion"]?.string == KubeExecConfig.v1 && info["kind"]?.string == "ExecCredential")
        #expect(info[path: "spec.interactive"]?.bool == false)
        #expect(info[path: "spec.cluster.server"]?.string == "https://api.test:6443")
        #expect(info[path: "spec.cluster.tls-server-name"]?.string == "api.internal")
        #expect(info[path: "spec.cluster.certificate-authority-data"]?.string == "Q0E=")
    }

    @Test func v1beta1CertificatePluginSuppliesTheClientCertificate() async throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let script = try execPluginScript(dir, json: """
            {"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",
             "status":{"clientCertificateData":"-----BEGIN CERTIFICATE-----\\nX\\n","clientKeyData":"-----BEGIN KEY-----\\nY\\n"}}
            """)
        var config = execConfig(script, version: KubeExecConfig.v1beta1)
        config.interactiveMode = nil
        let result = try await credentials(config).current()
        #expect(result.authorization == nil)
        #expect(result.tls.clientCertificate == .data(Array("-----BEGIN CERTIFICATE-----\nX\n".utf8)))
        #expect(result.tls.clientKey == .data(Array("-----BEGIN KEY-----\nY\n".utf8)))
    }

    @Test func cachesTheCredentialUntilItExpires() async throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        // The virtual wall clock starts at 2023-11-14T22:13:20Z; the credential expires ten minutes later.
        let script = try execPluginScript(dir, json: """
            {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
             "status":{"token":"t","expirationTimestamp":"2023-11-14T22:23:20Z"}}
            """)
        let clock = VirtualClock()
        let source = credentials(execConfig(script), clock: clock)
        _ = try await source.current()
        _ = try await source.current()
        #expect(runs(dir) == 1)
        clock.advanceWall(by: 601)
        _ = try await source.current()
        #expect(runs(dir) == 2)
        #expect(await source.invalidate())
        _ = try await source.current()
        #expect(runs(dir) == 3)
    }

    @Test func aMissingCommandShowsTheInstallHint() async throws {
        var config = execConfig("emdiag-no-such-plugin")
        config.installHint = "Install it with: apt-get install the-plugin"
        let error = await #expect(throws: KubeError.self) {
            _ = try await credentials(config, env: ["PATH": "/nonexistent"]).current()
        }
        #expect(error?.description.contains("emdiag-no-such-plugin not found") == true)
        #expect(error?.description.contains("apt-get install the-plugin") == true)
        #expect(error?.description.contains("\"cloud-user\"") == true)
    }

    @Test func badPluginOutputIsAClearError() async throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let cases: [(json: String, extra: String, words: String)] = [
            (#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}"#, "",
             "returned \"client.authentication.k8s.io/v1beta1\""),
            (#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}"#, "",
             "neither a token nor a client certificate"),
            (#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientKeyData":"k"}}"#, "",
             "only a client certificate or only a key"),
            ("not json", "", "did not print an ExecCredential"),
            ("{}", "echo 'login expired' >&2; exit 3", "exited with status 3: login expired"),
        ]
        for (index, item) in cases.enumerated() {
            let script = try execPluginScript(dir, name: "p\(index)", json: item.json, extra: item.extra)
            let error = await #expect(throws: KubeError.self) { _ = try await credentials(execConfig(script)).current() }
            #expect(error?.description.contains(item.words) == true, "\(String(describing: error))")
        }
    }
}
