/// One built-in redaction rule. The raw value is the stable id recorded in `manifest.json` and
/// `redaction-report.json`; `ruleDescription` documents the rule and its examples, which the tests run.
package enum RedactionRule: String, CaseIterable, Codable, Sendable {
    case urlCredentials = "url-credentials"
    case connectionString = "connection-string"
    case authorizationHeader = "authorization-header"
    case jwt = "jwt"
    case awsAccessKey = "aws-access-key"
    case gcpKey = "gcp-key"
    case pemPrivateKey = "pem-private-key"
    case secretKeyValue = "secret-key-value"
    case envValue = "env-value"
    case knownSecretValue = "known-secret-value"
    case secretData = "secret-data"
    case helmRelease = "helm-release"

    /// A rule's documentation: what it hides, and examples that the tests check.
    package struct Description: Sendable {
        package var summary: String
        /// Inputs and the exact values that must disappear from them.
        package var redacts: [Example]
        /// Inputs that must come out unchanged (evidence stays readable).
        package var keeps: [String]
        /// True when the examples are Kubernetes objects (JSON) for `Redactor.redactObject`, not text lines.
        package var structural: Bool = false
    }

    /// An input and the secrets in it. `registered` values are the cluster's own secrets (known-secret-value).
    package struct Example: Sendable {
        package var input: String
        package var secrets: [String]
        package var registered: [String] = []
    }

    package var ruleDescription: Description {
        switch self {
        case .urlCredentials:
            Description(
                summary: "The password in a URL's user info (scheme://user:PASSWORD@host); the user name is kept.",
                redacts: [
                    Example(input: "connecting to postgresql://em:S3cretPass@db:5432/em", secrets: ["S3cretPass"]),
                    Example(input: "REDIS_URL=redis://:r3dis-Pass@redis-master:6379/0", secrets: ["r3dis-Pass"]),
                    Example(input: "{\"url\":\"https://x-token:ghp_abc123XYZ@github.com/o/r\"}", secrets: ["ghp_abc123XYZ"]),
                ],
                keeps: [
                    "GET https://em.example.com/api/v1/health 200",
                    "image ghcr.io/emergenceai/em-service@sha256:4b5c2e0f6a1d8e9f7c3b2a1d0e9f8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0",
                    "ssh://git@github.com/emergenceai/charts.git",
                ])
        case .connectionString:
            Description(
                summary: "Passwords in non-URL connection strings: JDBC/ODBC/ADO.NET parameters after ?, & or ; "
                    + "(password=, pwd=) and Go MySQL DSNs (user:PASSWORD@tcp(host)).",
                redacts: [
                    Example(input: "jdbc:postgresql://pg/keycloak?user=keycloak&password=Kc-Pass-01", secrets: ["Kc-Pass-01"]),
                    Example(input: "Server=db;Database=em;User Id=sa;Password=Mss9l!Pass;", secrets: ["Mss9l!Pass"]),
                    Example(input: "dsn: root:My5qlPass@tcp(mysql:3306)/em", secrets: ["My5qlPass"]),
                ],
                keeps: ["jdbc:postgresql://pg:5432/keycloak?sslmode=disable&connectTimeout=10"])
        case .authorizationHeader:
            Description(
                summary: "Credentials after an Authorization header (its scheme word is kept) and Bearer tokens anywhere.",
                redacts: [
                    Example(input: "Authorization: Bearer abcDEF123456ghi", secrets: ["abcDEF123456ghi"]),
                    Example(input: "{\"headers\":{\"Authorization\":\"Basic dXNlcjpwYXNzd29yZA==\"}}",
                            secrets: ["dXNlcjpwYXNzd29yZA=="]),
                    Example(input: "curl -H 'authorization: Token 9f8e7d6c5b4a'", secrets: ["9f8e7d6c5b4a"]),
                    Example(input: "sending bearer sk-live-0123456789abcdef to upstream", secrets: ["sk-live-0123456789abcdef"]),
                ],
                keeps: [
                    "WWW-Authenticate: Bearer realm=\"kubernetes\"",
                    "Authorization failed for user alice: forbidden",
                    "the API uses Bearer authentication",
                ])
        case .jwt:
            Description(
                summary: "JSON Web Tokens (eyJ…header.payload.signature) and other base64-encoded JSON blobs (eyJ…).",
                redacts: [
                    Example(
                        input: "token=eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXZhbHVl ok",
                        secrets: ["eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXZhbHVl"])
                ],
                keeps: ["keyJar initialised", "2026-01-05T10:00:00Z eyJ is the start of a JWT"])
        case .awsAccessKey:
            Description(
                summary: "AWS access key ids (AKIA…, ASIA… and the other 20-character id prefixes).",
                redacts: [Example(input: "using credentials AKIAIOSFODNN7EXAMPLE for s3", secrets: ["AKIAIOSFODNN7EXAMPLE"])],
                keeps: ["timezone Asia/Tokyo", "ASIAN-PACIFIC region"])
        case .gcpKey:
            Description(
                summary: "Google API keys (AIza…) and OAuth access tokens (ya29.…).",
                redacts: [
                    Example(input: "maps key AIzaSyA1234567890abcdefghijklmnopqrstuv in use", secrets: ["AIzaSyA1234567890abcdefghijklmnopqrstuv"]),
                    Example(input: "oauth ya29.a0AfH6SMBx-abcdefghijklmnop1234 expired", secrets: ["ya29.a0AfH6SMBx-abcdefghijklmnop1234"]),
                ],
                keeps: ["AIza is a prefix"])
        case .pemPrivateKey:
            Description(
                summary: "The body of PEM private keys (BEGIN/END lines kept), over several lines or \\n-escaped in one.",
                redacts: [
                    Example(
                        input: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Gp\nQ29kZVNlY3JldEtleQ==\n-----END RSA PRIVATE KEY-----",
                        secrets: ["MIIEowIBAAKCAQEAx4Gp", "Q29kZVNlY3JldEtleQ=="]),
                    Example(
                        input: "{\"key\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG\\n-----END PRIVATE KEY-----\\n\"}",
                        secrets: ["MIIEvQIBADANBgkqhkiG"]),
                ],
                keeps: ["-----BEGIN CERTIFICATE-----", "loaded private key from /etc/tls/tls.key"])
        case .secretKeyValue:
            Description(
                summary: "Values of keys whose name ends like a secret (password, passwd, pwd, passphrase, secret, token, "
                    + "api_key/apiKey/api-key, client_secret, private_key, access_key, credentials, auth, "
                    + "ENCRYPTION_KEY, AUTH_SECRET, …, plus playbook keyNames) in key=value, key: value, "
                    + "\"key\": \"value\" and escaped \\\"key\\\":\\\"value\\\" forms; YAML values run to the end of the line, "
                    + "and a YAML block scalar (key: | or key: >-) hides every line indented more than the key.",
                redacts: [
                    Example(input: "password=hunter2x", secrets: ["hunter2x"]),
                    Example(input: "  password: my yaml secret", secrets: ["my yaml secret"]),
                    Example(input: "{\"level\":\"info\",\"apiKey\":\"ak_live_998877\"}", secrets: ["ak_live_998877"]),
                    Example(input: "msg=\"{\\\"password\\\":\\\"Esc4ped!\\\"}\"", secrets: ["Esc4ped!"]),
                    Example(input: "ENCRYPTION_KEY=6f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c AUTH_SECRET='c2VjcmV0'",
                            secrets: ["6f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c", "c2VjcmV0"]),
                    Example(input: "{'client_secret': 'cs-42-abc'}", secrets: ["cs-42-abc"]),
                    Example(input: "starting with --db-password=Pa55word --port 5432", secrets: ["Pa55word"]),
                    Example(input: "db:\n  password: |\n    first-line-s3cret\n\n    second-line-s3cret\n  host: db", secrets: ["first-line-s3cret", "second-line-s3cret"]),
                    Example(input: "2025-01-02T03:04:05.000000000Z - token: >-  # folded\n2025-01-02T03:04:05.000000000Z     folded-t0ken-part", secrets: ["folded-t0ken-part"]),
                ],
                keeps: [
                    "FATAL:  password authentication failed for user \"keycloak\"",
                    "Error: couldn't find key base-url in Secret em/em-runtime-secrets",
                    "secretName: em-runtime-secrets",
                    "Failed to refresh token: connection refused",
                    "password: ${DB_PASSWORD}",
                    "path: [ 'AUTH_SECRET' ], message: 'Required'",
                    "Either ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY must be defined.",
                    "{\"password\": null, \"token\": \"\"}",
                    "script: |\n  echo password check\nhost: db",
                    "passwordKey: |\n  db-password\nport: 5432",
                ])
        case .envValue:
            Description(
                summary: "Environment entries {name, value} whose name looks secret: in pod specs, Argo CD Helm "
                    + "parameters, and their JSON/YAML text (also when value is on the next line).",
                redacts: [
                    Example(input: "{\"name\":\"DB_PASSWORD\",\"value\":\"pg-Secret-77\"}", secrets: ["pg-Secret-77"]),
                    Example(input: "- name: REDIS_PASSWORD\n  value: rds-Secret-88", secrets: ["rds-Secret-88"]),
                ],
                keeps: ["{\"name\":\"LOG_LEVEL\",\"value\":\"debug\"}", "- name: DB_PASSWORD\n  valueFrom:"])
        case .knownSecretValue:
            Description(
                summary: "Values of the cluster's own Secrets read during the run (6 bytes or more), raw or base64 "
                    + "(standard or URL-safe; from 12 bytes on also inside a longer base64 text), anywhere.",
                redacts: [
                    Example(input: "login with Zq9-cluster-pass ok", secrets: ["Zq9-cluster-pass"], registered: ["Zq9-cluster-pass"]),
                    Example(input: "echo WnE5LWNsdXN0ZXItcGFzcw== | base64 -d", secrets: ["WnE5LWNsdXN0ZXItcGFzcw=="],
                            registered: ["Zq9-cluster-pass"]),
                    Example(input: "seed S24wd25-U2VjcjN0P1ZhbHVlPj4 (URL-safe)", secrets: ["S24wd25-U2VjcjN0P1ZhbHVlPj4"],
                            registered: ["Kn0wn~Secr3t?Value>>"]),
                    // base64 of "account=em-runtime;key=s3cr3tV4lue-XYZ;": the value starts 2 bytes into a group
                    Example(input: "ticket YWNjb3VudD1lbS1ydW50aW1lO2tleT1zM2NyM3RWNGx1ZS1YWVo7 issued",
                            secrets: ["M2NyM3RWNGx1ZS1Y"], registered: ["s3cr3tV4lue-XYZ"]),
                    // the value 1 byte into a group: base64 of ":s3cr3tV4lue-XYZ"
                    Example(input: "ticket OnMzY3IzdFY0bHVlLVhZWg==", secrets: ["Y3IzdFY0bHVlLVhZ"], registered: ["s3cr3tV4lue-XYZ"]),
                ],
                keeps: ["login with another value ok"])
        case .secretData:
            Description(
                summary: "Every data/stringData value of a Secret object: replaced by base64 of its placeholder, with "
                    + "length and keyed fingerprint in the emdiag.io/redacted-keys annotation.",
                redacts: [
                    Example(
                        input: "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"data\":{\"password\":\"c3VwZXItc2VjcmV0LXZhbHVl\"}}",
                        secrets: ["super-secret-value", "c3VwZXItc2VjcmV0LXZhbHVl"])
                ],
                keeps: ["{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{\"LOG_LEVEL\":\"info\"}}"],
                structural: true)
        case .helmRelease:
            Description(
                summary: "Helm release records keep only name, namespace, version, info.{status,description,"
                    + "first_deployed,last_deployed} and chart.metadata.{name,version,appVersion}; config, manifest, "
                    + "hooks and info.notes are dropped.",
                redacts: [
                    Example(
                        input: "{\"name\":\"em-runtime\",\"version\":3,\"info\":{\"status\":\"failed\",\"notes\":\"admin pw n0tes-Pass\"},"
                            + "\"config\":{\"postgres\":{\"password\":\"helm-Pass-1\"}},\"manifest\":\"kind: Secret\"}",
                        secrets: ["helm-Pass-1", "n0tes-Pass"])
                ],
                keeps: [],
                structural: true)
        }
    }
}
