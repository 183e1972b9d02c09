import Foundation

/// A throwaway PKI for TLS tests, made with the `openssl` command: a CA, a server certificate for
/// 127.0.0.1/localhost (or the names given) and a client certificate with CN=test-user. All EC P-256, valid 2 days.
package struct TestCertificates: Sendable {
    /// A certificate and its key, as files and as PEM bytes.
    package struct Pair: Sendable {
        package var certificatePath: String
        package var keyPath: String
        package var certificatePEM: [UInt8]
        package var keyPEM: [UInt8]
    }

    package var ca: Pair
    package var server: Pair
    package var client: Pair

    /// Writes `ca.crt/key`, `server.crt/key` and `client.crt/key` into `folder` (created if needed).
    /// - Parameter serverNames: the server certificate's subjectAltName entries.
    /// - Throws: `TestSupportError` when openssl fails.
    package static func make(
        in folder: URL, serverNames: [String] = ["IP:127.0.0.1", "DNS:localhost"], caName: String = "emdiag-test-ca"
    ) throws -> TestCertificates {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let dir = folder.path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509", "-new"] + ec + [
            "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.crt", "-days", "2", "-subj", "/CN=\(caName)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        func leaf(_ name: String, subject: String, extensions: String) throws -> Pair {
            try openssl(["req", "-new"] + ec + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", subject])
            try Data(extensions.utf8).write(to: folder.appendingPathComponent("\(name).ext"))
            try openssl([
                "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.crt", "-CAkey", "\(dir)/ca.key",
                "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-out", "\(dir)/\(name).crt",
                "-extfile", "\(dir)/\(name).ext",
            ])
            return try pair(dir, name)
        }
        let server = try leaf(
            "server", subject: "/CN=emdiag-test-server",
            extensions: "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=\(serverNames.joined(separator: ","))\n")
        let client = try leaf(
            "client", subject: "/CN=test-user/O=emdiag-testers",
            extensions: "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
        return TestCertificates(ca: try pair(dir, "ca"), server: server, client: client)
    }

    private static func pair(_ dir: String, _ name: String) throws -> Pair {
        let cert = "\(dir)/\(name).crt"
        let key = "\(dir)/\(name).key"
        return Pair(
            certificatePath: cert, keyPath: key,
            certificatePEM: Array(try Data(contentsOf: URL(fileURLWithPath: cert))),
            keyPEM: Array(try Data(contentsOf: URL(fileURLWithPath: key))))
    }

    private static func openssl(_ arguments: [String]) throws {
        try TestProcess.run("/usr/bin/openssl", arguments)
    }
}

/// A failure of a test helper (a tool it runs, a socket it opens).
package struct TestSupportError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// Runs helper commands for tests.
package enum TestProcess {
    /// Runs a program to completion, returning stdout; throws with stderr when it exits non-zero.
    @discardableResult
    package static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { try input.fileHandleForWriting.write(contentsOf: stdin) }
        try input.fileHandleForWriting.close()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors, as: UTF8.self)
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
        }
        return output
    }

    /// gzip-compresses bytes with the `gzip` command (for Content-Encoding tests).
    package static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        Array(try run("/usr/bin/gzip", ["-c"], stdin: Data(bytes)))
    }
}

/// A fresh folder under the system temp directory; remove it with `remove()`.
package struct TemporaryFolder: Sendable {
    package let url: URL
    package var path: String { url.path }

    package init(_ prefix: String = "emdiag-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    package func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
