import EMDiagTestSupport
import Foundation

/// Paths of the package under test: the built `emdiag` (`swift build` first), `deploy/`, `Fixtures/`.
enum EndToEnd {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func binary() throws -> String {
        let binary = root.appendingPathComponent(".build/debug/emdiag").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestSupportError("\(binary) is missing: run `swift build --build-tests` first")
        }
        return binary
    }

    /// A kubeconfig for a test server whose certificate the test CA signed, with a bearer token.
    static func kubeconfig(in folder: TemporaryFolder, server: String, ca: String, token: String, namespace: String = "em") throws -> String {
        try folder.write("kubeconfig", """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: test
              cluster: {server: "\(server)", certificate-authority: "\(ca)"}
            users:
            - name: tester
              user: {token: \(token)}
            contexts:
            - name: test
              context: {cluster: test, user: tester, namespace: \(namespace)}
            """)
    }
}
