import Foundation
import Testing

@testable import EMDiagCore

/// The planted-secret corpus: every form a secret takes in a bundle goes through the redactor, and afterwards
/// no planted value remains anywhere (raw or base64), while the report counts them.
@Suite struct RedactCorpusTests {
    static let logPath = "api/v1/namespaces/em/pods/api-0/log/app.log"
    static let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJKd3QxMDA2In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

    /// Planted values in the log, each in a different form.
    static let logSecrets = [
        "PgUrlPass-1001", "RedisPass-1002", "JdbcPass-1003", "KvPass-1004", "BearerTok-1005abcdef", jwt,
        "AKIAJWTPLANT10070000", "MIIEvQIBADANPemLine1008aaaa", "PemLine1008bbbbCCCCdddd==", "ApiKeyPass-1009",
        "EscPass-1010", "YamlPass-1011", "EnvPass-1012", "ClusterSecret-1013", "ClusterSecret-1014",
        "SessionKey-1026", "CustomTok-1027",
    ]

    static let log = """
        2026-01-05T10:00:00.000Z INFO connecting to postgresql://em_app:PgUrlPass-1001@em-postgresql:5432/em
        2026-01-05T10:00:01.000Z INFO cache redis://:RedisPass-1002@em-redis-master:6379/0
        2026-01-05T10:00:02.000Z INFO keycloak jdbc:postgresql://pg/keycloak?user=keycloak&password=JdbcPass-1003&ssl=true
        2026-01-05T10:00:03.000Z DEBUG config password=KvPass-1004 retries=3
        2026-01-05T10:00:04.000Z DEBUG > GET /api Authorization: Bearer BearerTok-1005abcdef
        2026-01-05T10:00:05.000Z DEBUG session \(jwt)
        2026-01-05T10:00:06.000Z INFO s3 client with AKIAJWTPLANT10070000
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANPemLine1008aaaa
        PemLine1008bbbbCCCCdddd==
        -----END PRIVATE KEY-----
        {"level":"info","msg":"settings","apiKey":"ApiKeyPass-1009"}
        {"level":"error","msg":"payload {\\"password\\":\\"EscPass-1010\\",\\"user\\":\\"x\\"}"}
        2026-01-05T10:00:07.000Z values:
          postgres:
            password: YamlPass-1011
        env: [{"name":"DB_PASSWORD","value":"EnvPass-1012"}]
        login with ClusterSecret-1013 ok
        decoded from \(RedactFixtures.base64("ClusterSecret-1014"))
        APP_CONN_STR=SessionKey-1026
        issued custom-CustomTok-1027 to worker
        FATAL:  password authentication failed for user "keycloak"
        """

    /// Kubernetes objects with planted values.
    static func objects() throws -> [(path: String, object: JSONValue)] {
        func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }
        let lastApplied = #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"em"},"data":{"password":"\#(RedactFixtures.base64("LastApplied-1017"))"},"stringData":{"token":"LastAppliedStr-1018"}}"#
        let secretWithAnnotation: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("Secret"), "type": .string("Opaque"),
            "metadata": .object([
                "name": .string("db"), "namespace": .string("em"),
                "annotations": .object(["kubectl.kubernetes.io/last-applied-configuration": .string(lastApplied)]),
            ]),
            "data": .object(["password": .string(RedactFixtures.base64("LastApplied-1017"))]),
        ])
        let pod = try json(#"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"api-0","namespace":"em",
             "annotations":{"openshift.io/token-secret.value":"AnnoToken-1019"}},
             "spec":{"containers":[{"name":"api","env":[{"name":"API_TOKEN","value":"PodEnvTok-1015"},{"name":"LOG_LEVEL","value":"debug"}]}],
                     "initContainers":[{"name":"migrate","env":[{"name":"DB_PASSWORD","value":"InitEnvPass-1016"}]}]}}
            """#)
        let runtimeSecrets = try json(#"""
            {"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":"em-runtime-secrets","namespace":"em"},
             "data":{"postgres-password":"\#(RedactFixtures.base64("SecretData-1020"))",
                     "base-url":"\#(RedactFixtures.base64("https://admin:BaseUrlPass-1021@em.example.com"))"}}
            """#)
        let events = try json(#"""
            {"kind":"EventList","items":[{"type":"Warning","reason":"Failed","message":"probe to https://u:EventPass-1024@svc failed"}]}
            """#)
        let argo = try json(#"""
            {"kind":"Application","spec":{"source":{"helm":{"parameters":[{"name":"postgres.auth.password","value":"ArgoParam-1028"}],
             "values":"redis:\n  password: ArgoValues-1029\n"}}},
             "status":{"operationState":{"message":"sync failed: redis://:ArgoPass-1025@redis:6379"}}}
            """#)
        return [
            ("api/v1/namespaces/em/secrets/db.json", secretWithAnnotation),
            ("api/v1/namespaces/em/pods.json", pod),
            ("api/v1/namespaces/em/secrets.json", runtimeSecrets),
            ("api/v1/namespaces/em/events.json", events),
            ("apis/argoproj.io/v1alpha1/namespaces/argocd/applications.json", argo),
        ]
    }

    static let objectSecrets = [
        "LastApplied-1017", "LastAppliedStr-1018", "AnnoToken-1019", "PodEnvTok-1015", "InitEnvPass-1016",
        "SecretData-1020", "BaseUrlPass-1021", "EventPass-1024", "ArgoParam-1028", "ArgoValues-1029", "ArgoPass-1025",
    ]
    static let helmSecrets = ["HelmConfigPass-1022", "HelmManifestPass-1023", "HelmNotes-1030"]

    static let policy = RedactionPolicy(
        patterns: ["custom-([A-Za-z]+-[0-9]+)"], keyNames: ["CONN_STR"],
        nonSecretKeys: ["em-runtime-secrets": ["base-url"]])

    static func helmSecret() -> JSONValue {
        let record = #"""
            {"name":"em-runtime","namespace":"em","version":4,
             "info":{"status":"failed","description":"Upgrade \"em-runtime\" failed: timed out","notes":"admin password HelmNotes-1030"},
             "chart":{"metadata":{"name":"em-runtime","version":"1.4.0","appVersion":"2.3.0"}},
             "config":{"postgres":{"password":"HelmConfigPass-1022"}},
             "manifest":"kind: Secret\nstringData:\n  password: HelmManifestPass-1023\n","hooks":[]}
            """#
        // A stand-in for gzip: the magic bytes, then the JSON; the test's decoder strips them.
        let gz = Data([0x1f, 0x8b, 0x08]) + Data(record.utf8)
        let release = gz.base64EncodedString().data(using: .utf8)?.base64EncodedString() ?? ""
        return .object([
            "apiVersion": .string("v1"), "kind": .string("Secret"), "type": .string("helm.sh/release.v1"),
            "metadata": .object(["name": .string("sh.helm.release.v1.em-runtime.v4"), "namespace": .string("em")]),
            "data": .object(["release": .string(release)]),
        ])
    }

    @Test func noPlantedValueSurvives() throws {
        let redactor = try RedactFixtures.redactor(Self.policy)
        // The cluster's own secrets are read first (as the collector does), registering their values.
        let external: JSONValue = .object([
            "kind": .string("Secret"), "type": .string("Opaque"),
            "metadata": .object(["name": .string("em-runtime-external-credentials")]),
            "data": .object([
                "a": .string(RedactFixtures.base64("ClusterSecret-1013")),
                "b": .string(RedactFixtures.base64("ClusterSecret-1014\n")),
            ]),
        ])
        var bundle: [String: String] = [:]
        bundle["api/v1/namespaces/em/secrets/external.json"] = Self.text(redactor.redactSecret(external, file: "external"))
        for (path, object) in try Self.objects() {
            bundle[path] = Self.text(redactor.redactObject(object, file: path))
        }
        var decoderCalls = 0
        let helm = try redactor.redactHelmRelease(Self.helmSecret(), file: "helm/em/em-runtime.json") { data in
            decoderCalls += 1
            return try JSONValue.parse(data.dropFirst(3))
        }
        bundle["helm/em/em-runtime.json"] = Self.text(helm)
        bundle[Self.logPath] = try RedactFixtures.stream(Self.log, through: redactor, chunkSize: 7, file: Self.logPath)
        bundle["redaction-report.json"] = String(decoding: redactor.report().serialized(), as: UTF8.self)
        #expect(decoderCalls == 1)

        // Nothing planted remains, in any file, raw or base64; Secret data decodes to placeholders only.
        let everything = bundle.values.joined(separator: "\n")
        for secret in Self.logSecrets + Self.objectSecrets + Self.helmSecrets {
            for form in RedactFixtures.leakForms(secret) {
                #expect(!everything.contains(form), "\(form) (of \(secret)) leaked")
            }
        }
        for case .string(let value) in Self.secretDataValues(bundle) {
            let decoded = String(decoding: Data(base64Encoded: value) ?? Data(), as: UTF8.self)
            #expect(decoded.hasPrefix("<redacted:") || decoded == "https://admin:\(redactor.placeholder(for: Array("BaseUrlPass-1021".utf8)))@em.example.com",
                    "unexpected Secret data \(decoded)")
        }

        // Evidence stays: the failure text, the Helm status, user names and hosts.
        #expect(everything.contains(#"FATAL:  password authentication failed for user "keycloak""#))
        #expect(helm[path: "info.status"]?.string == "failed")
        #expect(helm[path: "chart.metadata.appVersion"]?.string == "2.3.0")
        #expect(helm["config"] == nil && helm["manifest"] == nil && helm[path: "info.notes"] == nil)
        #expect(bundle[Self.logPath]?.contains("postgresql://em_app:<redacted:") == true)

        // The report counts each planted value in the log, per rule and per file.
        let report = redactor.report()
        let log = report.files[Self.logPath] ?? [:]
        let expected: [String: Int] = [
            "url-credentials": 2, "connection-string": 1, "secret-key-value": 5, "authorization-header": 1, "jwt": 1,
            "aws-access-key": 1, "pem-private-key": 1, "env-value": 1, "known-secret-value": 2, "custom-pattern-1": 1,
        ]
        #expect(log == expected)
        #expect(log.values.reduce(0, +) == Self.logSecrets.count - 1)  // the two PEM lines are one key
        #expect(report.totals["secret-data"] ?? 0 >= 4)
        #expect(report.totals["helm-release"] == 1)
        #expect(report.files["api/v1/namespaces/em/pods.json"]?["env-value"] == 2)
        #expect(report.registeredSecretValues >= 3)
    }

    @Test func placeholdersAreConsistent() throws {
        let redactor = try RedactFixtures.redactor()
        let a = redactor.redact(text: "password=SamePass-77 url=postgresql://u:SamePass-77@db", file: "a")
        let b = redactor.redact(text: "token: \"OtherPass-88\"", file: "b")
        let placeholder = redactor.placeholder(for: Array("SamePass-77".utf8))
        #expect(a == "password=\(placeholder) url=postgresql://u:\(placeholder)@db")
        #expect(b == "token: \"\(redactor.placeholder(for: Array("OtherPass-88".utf8)))\"")
        #expect(placeholder != redactor.placeholder(for: Array("OtherPass-88".utf8)))
        #expect(placeholder.utf8.count == "<redacted:000000>".utf8.count)
        // A registered value reads the same raw and base64-encoded; another bundle's key gives another placeholder.
        redactor.register(secretValues: ["Registered-99"])
        let encoded = redactor.redact(text: "raw Registered-99 b64 \(RedactFixtures.base64("Registered-99"))", file: "c")
        let registered = redactor.placeholder(for: Array("Registered-99".utf8))
        #expect(encoded == "raw \(registered) b64 \(registered)")
        let other = try Redactor(policy: RedactionPolicy())
        #expect(other.placeholder(for: Array("SamePass-77".utf8)) != placeholder || other.fingerprintKeyID != redactor.fingerprintKeyID)
    }

    static func text(_ value: JSONValue) -> String {
        String(decoding: value.serialized(), as: UTF8.self)
    }

    /// Every `data` value of every Secret in the redacted bundle, last-applied copies included.
    static func secretDataValues(_ bundle: [String: String]) -> [JSONValue] {
        var out: [JSONValue] = []
        func visit(_ value: JSONValue) {
            if value["kind"]?.string == "Secret" { out += value["data"]?.object.values.map { $0 } ?? [] }
            if let applied = value[path: "metadata.annotations"]?["kubectl.kubernetes.io/last-applied-configuration"]?.string,
                let parsed = try? JSONValue.parse(Array(applied.utf8))
            {
                visit(parsed)
            }
            value.array.forEach(visit)
            value.object.values.forEach(visit)
        }
        for (path, text) in bundle where path.hasSuffix(".json") && path != "redaction-report.json" {
            if let parsed = try? JSONValue.parse(Array(text.utf8)) { visit(parsed) }
        }
        return out
    }
}
