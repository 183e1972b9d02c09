import Foundation

/// What an exec credential plugin returned: a bearer token or a client certificate and key, maybe with an expiry.
package struct KubeExecCredential: Sendable, Hashable, CustomStringConvertible {
    package var token: String?
    package var clientCertificatePEM: [UInt8]?
    package var clientKeyPEM: [UInt8]?
    package var expiration: Date?

    package var description: String {
        let kind = token != nil ? "token" : "client certificate"
        return "exec credential (\(kind), expires \(expiration.map { "\($0)" } ?? "never"))"
    }
}

/// Runs `users[].user.exec` plugins the way client-go does: the plugin's `env` on top of ours,
/// `KUBERNETES_EXEC_INFO` describing the request, and the `ExecCredential` JSON read from its stdout.
package enum KubeExecPlugin {
    /// Runs the plugin off the cooperative thread pool and parses what it prints.
    /// - Parameters:
    ///   - config: the plugin configuration.
    ///   - user: the user entry's name, for errors.
    ///   - endpoint: the endpoint, sent to the plugin when `provideClusterInfo` is set.
    ///   - environment: our environment, which the plugin inherits (`PATH` is searched for a bare command).
    ///   - interactive: whether the plugin may prompt on the terminal.
    /// - Throws: `KubeError.execPlugin` saying what failed and, for a missing command, the `installHint`.
    package static func run(
        _ config: KubeExecConfig, user: String, endpoint: KubeEndpoint, environment: [String: String], interactive: Bool
    ) async throws -> KubeExecCredential {
        let fail = { (message: String) in KubeError.execPlugin(user: "user \"\(user)\"", command: config.command, message: message) }
        let mode = config.interactiveMode ?? "IfAvailable"
        if mode == "Always", !interactive {
            throw fail("its interactiveMode is Always but emdiag runs without a terminal. Log in with the plugin first, "
                + "or set interactiveMode: IfAvailable.")
        }
        let isInteractive = interactive && mode != "Never"
        guard let executable = locate(config.command, environment: environment) else {
            let hint = config.installHint.map { "\n\n\($0)" } ?? ""
            throw fail("executable \(config.command) not found. Install it or fix exec.command in the kubeconfig.\(hint)")
        }
        var env = environment
        for variable in config.env { env[variable.name] = variable.value }
        env["KUBERNETES_EXEC_INFO"] = String(decoding: execInfo(config, endpoint: endpoint, interactive: isInteractive)
            .serialized(), as: UTF8.self)
        let result = try await runProcess(executable, arguments: config.args, environment: env, interactive: isInteractive)
        guard result.status == 0 else {
            let stderr = String(decoding: result.stderr.suffix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw fail("it exited with status \(result.status)\(stderr.isEmpty ? "" : ": \(stderr)"). Run it by hand to see why "
                + "(often an expired login).")
        }
        return try parse(result.stdout, apiVersion: config.apiVersion, fail: fail)
    }

    /// Parses the plugin's stdout.
    package static func parse(_ output: [UInt8], apiVersion: String, fail: (String) -> KubeError) throws -> KubeExecCredential {
        guard let json = try? JSONValue.parse(output), case .object = json else {
            throw fail("it did not print an ExecCredential JSON object on stdout.")
        }
        guard json["kind"]?.string == "ExecCredential" else { throw fail("it printed kind \"\(json["kind"]?.string ?? "")\", not ExecCredential.") }
        guard let version = json["apiVersion"]?.string, version == apiVersion else {
            throw fail("it is configured to use API version \(apiVersion) but returned \"\(json["apiVersion"]?.string ?? "")\". "
                + "Fix exec.apiVersion in the kubeconfig.")
        }
        guard let status = json["status"], case .object = status else { throw fail("it returned no status field.") }
        var credential = KubeExecCredential()
        credential.token = status["token"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        credential.clientCertificatePEM = status["clientCertificateData"]?.string.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        credential.clientKeyPEM = status["clientKeyData"]?.string.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        if (credential.clientCertificatePEM == nil) != (credential.clientKeyPEM == nil) {
            throw fail("it returned only a client certificate or only a key, not both.")
        }
        if credential.token == nil, credential.clientCertificatePEM == nil {
            throw fail("it returned neither a token nor a client certificate and key.")
        }
        if let stamp = status["expirationTimestamp"]?.string {
            guard let date = parseTimestamp(stamp) else {
                throw fail("its expirationTimestamp \"\(stamp)\" is not an RFC 3339 time.")
            }
            credential.expiration = date
        }
        return credential
    }

    private static func parseTimestamp(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fractional.date(from: text)
    }

    /// The `KUBERNETES_EXEC_INFO` value.
    private static func execInfo(_ config: KubeExecConfig, endpoint: KubeEndpoint, interactive: Bool) -> JSONValue {
        var spec: [String: JSONValue] = ["interactive": .bool(interactive)]
        if config.provideClusterInfo {
            var cluster: [String: JSONValue] = ["server": .string(endpoint.server)]
            if let name = endpoint.tls.serverName { cluster["tls-server-name"] = .string(name) }
            if endpoint.tls.insecureSkipVerify { cluster["insecure-skip-tls-verify"] = .bool(true) }
            if let proxy = endpoint.proxyURL { cluster["proxy-url"] = .string(proxy) }
            switch endpoint.tls.certificateAuthority {
            case .data(let bytes)?: cluster["certificate-authority-data"] = .string(Data(bytes).base64EncodedString())
            case .file(let path)?:
                if let bytes = FileManager.default.contents(atPath: path) {
                    cluster["certificate-authority-data"] = .string(bytes.base64EncodedString())
                }
            case nil: break
            }
            spec["cluster"] = .object(cluster)
        }
        return .object(["apiVersion": .string(config.apiVersion), "kind": .string("ExecCredential"), "spec": .object(spec)])
    }

    /// Finds the executable: a path as given, or the first match on `PATH`.
    private static func locate(_ command: String, environment: [String: String]) -> String? {
        let manager = FileManager.default
        if command.contains("/") { return manager.isExecutableFile(atPath: command) ? command : nil }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(command)" }.first { manager.isExecutableFile(atPath: $0) }
    }

    private struct ProcessResult: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// Runs the process on a Dispatch thread (its reads and wait block) and resumes when it exits.
    private static func runProcess(
        _ executable: String, arguments: [String], environment: [String: String], interactive: Bool
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                process.environment = environment
                let stdout = Pipe()
                let stderr = Pipe()
                process.standardOutput = stdout
                if interactive {  // the plugin may prompt: give it our terminal
                    process.standardInput = FileHandle.standardInput
                    process.standardError = FileHandle.standardError
                } else {
                    process.standardInput = FileHandle.nullDevice
                    process.standardError = stderr
                }
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: KubeError.execPlugin(
                        user: "the kubeconfig user", command: executable, message: "it could not be started: \(error)"))
                    return
                }
                // Drain stderr concurrently so a chatty plugin cannot fill the pipe and stall.
                let errorBytes = ErrorCollector()
                let group = DispatchGroup()
                let errorHandle = stderr.fileHandleForReading
                if !interactive {
                    DispatchQueue.global().async(group: group) {
                        errorBytes.set([UInt8](errorHandle.readDataToEndOfFile()))
                    }
                }
                let output = [UInt8](stdout.fileHandleForReading.readDataToEndOfFile())
                process.waitUntilExit()
                group.wait()
                continuation.resume(returning: ProcessResult(
                    status: process.terminationStatus, stdout: output, stderr: errorBytes.get()))
            }
        }
    }
}

/// Holds stderr bytes handed from one Dispatch thread to another.
/// `@unchecked Sendable`: the only access is `set` on the reader thread, then `get` after `DispatchGroup.wait()`,
/// which orders the two; the lock makes that explicit.
private final class ErrorCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func set(_ value: [UInt8]) { lock.withLock { bytes = value } }
    func get() -> [UInt8] { lock.withLock { bytes } }
}
