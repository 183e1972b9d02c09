import Foundation
import Testing

@testable import EMDiagCore

/// Secrets, Helm release records and other objects.
@Suite struct RedactObjectTests {
    static func secret(_ name: String, _ data: [String: String], type: String = "Opaque") -> JSONValue {
        .object([
            "apiVersion": .string("v1"), "kind": .string("Secret"), "type": .string(type),
            "metadata": .object(["name": .string(name), "namespace": .string("em")]),
            "data": .object(data.mapValues { .string(RedactFixtures.base64($0)) }),
        ])
    }

    static func redactedKeys(_ secret: JSONValue) throws -> JSONValue {
        let text = secret[path: "metadata.annotations"]?[Redactor.redactedKeysAnnotation]?.string ?? ""
        return try JSONValue.parse(Array(text.utf8))
    }

    @Test func secretKeepsKeysLengthsAndFingerprintsOnly() throws {
        let redactor = try RedactFixtures.redactor()
        let out = redactor.redactSecret(Self.secret("db", ["password": "Obj-Pass-3001", "user": "em_app_user"]), file: "s.json")
        let keys = try Self.redactedKeys(out)
        #expect(keys["password"]?["length"]?.int == 13)
        #expect(keys["password"]?["fingerprint"]?.string == redactor.fingerprint(of: Array("Obj-Pass-3001".utf8)))
        #expect(keys["password"]?["fingerprint"]?.string?.count == "hmac-sha256:".count + 16)
        let placeholder = redactor.placeholder(for: Array("Obj-Pass-3001".utf8))
        #expect(keys["password"]?["placeholder"]?.string == placeholder)
        // Still a Secret kubectl can read: data holds base64 of the placeholder.
        #expect(out[path: "data.password"]?.string == RedactFixtures.base64(placeholder))
        #expect(out["kind"]?.string == "Secret" && out["type"]?.string == "Opaque")
        // The values are now known secrets: they are redacted in text too.
        #expect(redactor.redact(line: "user em_app_user logged in", file: "l") == "user \(redactor.placeholder(for: Array("em_app_user".utf8))) logged in")
        #expect(redactor.report().files["s.json"]?["secret-data"] == 2)
    }

    @Test func fingerprintsCompareAcrossBundlesWithTheSameKey() throws {
        let fingerprintKey = Array(repeating: UInt8(9), count: 32)
        let first = try Redactor(fingerprintKey: fingerprintKey)
        let second = try Redactor(fingerprintKey: fingerprintKey)
        let value = Array("Same-Value-3002".utf8)
        #expect(first.fingerprint(of: value) == second.fingerprint(of: value))
        #expect(first.fingerprintKeyID == second.fingerprintKeyID)
        #expect(first.placeholder(for: value) != second.placeholder(for: value))  // placeholders are per bundle
        #expect(first.fingerprint(of: value) != first.fingerprint(of: Array("Other-Value-3003".utf8)))
    }

    @Test func fingerprintKeyIsCreatedOnceAndReused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sub/fingerprint.key").path
        let key = try Redactor.loadOrCreateKey(at: path)
        #expect(key.count == 32)
        #expect(try Redactor.loadOrCreateKey(at: path) == key)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        _ = FileManager.default.createFile(atPath: path, contents: Data("short".utf8))
        #expect(throws: RedactionError.keyFile(path: path, message: "5 bytes instead of 32")) {
            try Redactor.loadOrCreateKey(at: path)
        }
    }

    @Test func nonSecretBaseURLIsKeptButLosesCredentials() throws {
        let policy = RedactionPolicy(nonSecretKeys: ["em-runtime-secrets": ["base-url"]])
        let redactor = try RedactFixtures.redactor(policy)
        let input = Self.secret(
            "em-runtime-secrets",
            ["base-url": "https://ops:Url-Pass-3004@em.example.com/app", "postgres-password": "Pg-Pass-3005"])
        let out = redactor.redactSecret(input, file: "s.json")
        let kept = String(decoding: Data(base64Encoded: out[path: "data.base-url"]?.string ?? "") ?? Data(), as: UTF8.self)
        #expect(kept == "https://ops:\(redactor.placeholder(for: Array("Url-Pass-3004".utf8)))@em.example.com/app")
        let keys = try Self.redactedKeys(out)
        #expect(keys["base-url"]?["kept"]?.bool == true && keys["base-url"]?["credentialsRedacted"]?.bool == true)
        // A clean base-url is kept as it is, and is not registered as a secret (it must stay readable in logs).
        let clean = redactor.redactSecret(Self.secret("em-runtime-secrets", ["base-url": "https://em.example.com"]), file: "s2")
        #expect(clean[path: "data.base-url"]?.string == RedactFixtures.base64("https://em.example.com"))
        #expect(redactor.redact(line: "BASE_URL https://em.example.com", file: "l") == "BASE_URL https://em.example.com")
        #expect(try Self.redactedKeys(clean)["base-url"]?["credentialsRedacted"] == nil)
    }

    @Test func stringDataIsFoldedIntoData() throws {
        let redactor = try RedactFixtures.redactor()
        let input: JSONValue = .object([
            "kind": .string("Secret"), "metadata": .object(["name": .string("s")]), "stringData": .object(["token": .string("Str-Tok-3006")]),
        ])
        let out = redactor.redactSecret(input, file: "s")
        #expect(out["stringData"] == nil)
        #expect(out[path: "data.token"]?.string == RedactFixtures.base64(redactor.placeholder(for: Array("Str-Tok-3006".utf8))))
    }

    @Test func secretListItemsWithoutKindAreSecrets() throws {
        let redactor = try RedactFixtures.redactor()
        let list: JSONValue = .object([
            "kind": .string("SecretList"), "apiVersion": .string("v1"),
            "items": .array([
                .object(["metadata": .object(["name": .string("a")]), "type": .string("Opaque"), "data": .object(["k": .string(RedactFixtures.base64("List-Val-3007"))])])
            ]),
        ])
        let text = String(decoding: redactor.redactObject(list, file: "secrets.json").serialized(), as: UTF8.self)
        for form in RedactFixtures.leakForms("List-Val-3007") { #expect(!text.contains(form)) }
    }

    @Test func helmReleasePlainJSONNeedsNoDecoder() throws {
        let redactor = try RedactFixtures.redactor()
        let record = #"{"name":"em-runtime","namespace":"em","version":2,"info":{"status":"deployed","last_deployed":"2026-01-01T00:00:00Z"},"config":{"token":"Helm-Tok-3008"},"manifest":"x","hooks":[{"manifest":"y"}]}"#
        let release = Data(record.utf8).base64EncodedString().data(using: .utf8)?.base64EncodedString() ?? ""
        let secret: JSONValue = .object([
            "kind": .string("Secret"), "type": .string("helm.sh/release.v1"),
            "metadata": .object(["name": .string("sh.helm.release.v1.em-runtime.v2")]), "data": .object(["release": .string(release)]),
        ])
        let out = try redactor.redactHelmRelease(secret, file: "helm/em/em-runtime.json") { _ in
            Issue.record("no gzip here")
            return .null
        }
        #expect(out == .object([
            "name": .string("em-runtime"), "namespace": .string("em"), "version": .number(2),
            "info": .object(["status": .string("deployed"), "last_deployed": .string("2026-01-01T00:00:00Z")]),
            "secret": .string("sh.helm.release.v1.em-runtime.v2"),
            "droppedFields": .array([.string("config"), .string("hooks"), .string("manifest")]),
        ]))
        // The release blob is not registered as a known value (it is never seen in text).
        #expect(redactor.report().registeredSecretValues == 0)
    }

    @Test func helmReleaseThatDoesNotDecodeIsAnError() throws {
        let redactor = try RedactFixtures.redactor()
        let secret = Self.secret("sh.helm.release.v1.x.v1", ["release": "not base64 twice!"], type: "helm.sh/release.v1")
        #expect(throws: RedactionError.self) {
            try redactor.redactHelmRelease(secret, file: "h") { _ in .null }
        }
        let error = RedactionError.helmRelease(secret: "sh.helm.release.v1.x.v1", message: "m")
        #expect(error.description.contains("sh.helm.release.v1.x.v1") && error.description.contains("left out"))
    }

    @Test func lastAppliedConfigurationIsRedactedAsAnObject() throws {
        let redactor = try RedactFixtures.redactor()
        let applied = #"{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"api","env":[{"name":"OPENAI_API_KEY","value":"sk-Applied-3009"},{"name":"PORT","value":"8080"}]}]}}}}"#
        let deployment: JSONValue = .object([
            "kind": .string("Deployment"),
            "metadata": .object(["name": .string("api"), "annotations": .object(["kubectl.kubernetes.io/last-applied-configuration": .string(applied)])]),
        ])
        let out = redactor.redactObject(deployment, file: "d.json")
        let text = out[path: "metadata.annotations"]?["kubectl.kubernetes.io/last-applied-configuration"]?.string ?? ""
        let parsed = try JSONValue.parse(Array(text.utf8))
        let env = parsed[path: "spec.template.spec"]?["containers"]?[0]?["env"]
        #expect(env?[0]?["value"]?.string == redactor.placeholder(for: Array("sk-Applied-3009".utf8)))
        #expect(env?[1]?["value"]?.string == "8080")
        // Not JSON: the whole annotation is replaced.
        let broken: JSONValue = .object(["metadata": .object(["annotations": .object(["kubectl.kubernetes.io/last-applied-configuration": .string("{oops password=x")])])])
        let fixed = redactor.redactObject(broken, file: "b.json")
        #expect(fixed[path: "metadata.annotations"]?["kubectl.kubernetes.io/last-applied-configuration"]?.string?.hasPrefix("<redacted:") == true)
    }

    @Test func disabledRedactionReturnsObjectsUnchanged() throws {
        let redactor = try Redactor(policy: RedactionPolicy(enabled: false))
        let secret = Self.secret("s", ["password": "Disabled-3010"])
        #expect(redactor.redactSecret(secret, file: "s") == secret)
        #expect(redactor.redactObject(secret, file: "s") == secret)
    }
}
