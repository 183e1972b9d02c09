import Testing

@testable import EMDiagCore

/// Ordinary evidence must come out byte for byte: ids, digests, revisions, timestamps and failure texts.
@Suite struct RedactFalsePositiveTests {
    static let evidence = [
        "2026-01-05T10:00:00.123456Z request 6f1c2a9b-8d7e-4f5a-9b3c-2d1e0f9a8b7c completed in 12ms",
        "Pulling image \"ghcr.io/emergenceai/em-service@sha256:9b2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d\"",
        "INFO  [alembic.runtime.migration] Running upgrade 3f2a1b9c8d7e -> 4e5d6c7b8a9f, add tenants table",
        "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.",
        "FATAL:  password authentication failed for user \"keycloak\"",
        "org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"keycloak\"",
        "asyncpg.exceptions.InvalidPasswordError: password authentication failed for user \"em\"",
        "base_url",
        "  Input should be a valid URL, relative URL without a base [type=url_parsing, input_value='em.example.com', input_type=str]",
        "Error: couldn't find key base-url in Secret em/em-runtime-secrets",
        "MountVolume.SetUp failed for volume \"secrets\" : secret \"em-runtime-secrets\" not found",
        "Back-off restarting failed container api in pod api-0_em(1c2d3e4f-aaaa-bbbb-cccc-0123456789ab)",
        "Readiness probe failed: Get \"http://10.42.0.17:8080/healthz\": dial tcp 10.42.0.17:8080: connect: connection refused",
        "WRONGPASS invalid username-password pair or user is disabled.",
        "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        "Invalid environment variables. path: [ 'AUTH_SECRET' ], message: 'Required'",
        "Either ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY must be defined.",
        "RangeError: Invalid key length",
        "Error: UPGRADE FAILED: \"em-runtime\" has no deployed releases",
        "level=info msg=\"token refreshed\" token_type=bearer expires_in=3600",
        "Failed to refresh token: connection refused",
        "x509: certificate signed by unknown authority",
        "git clone ssh://git@github.com/emergenceai/charts.git",
        "WWW-Authenticate: Bearer realm=\"kubernetes\", error=\"invalid_token\"",
        "secretName: em-runtime-secrets",
        "existingSecret: em-runtime-external-credentials",
        "valueFrom: {secretKeyRef: {name: em-runtime-secrets, key: postgres-password}}",
        "keyJar loaded 3 keys; monkey patch applied",
        "ASIAN market timezone Asia/Tokyo",
        "PWD=/app",
        "Successfully assigned em/api-0 to node-1",
        "Created container api",
        "Started container migrate",
        "sync status OutOfSync, health Degraded, revision 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
    ]

    @Test(arguments: evidence)
    func evidenceStaysIntact(line: String) throws {
        let redactor = try RedactFixtures.redactor()
        #expect(redactor.redact(line: line, file: "evidence.log") == line)
        #expect(redactor.report().totals.isEmpty)
    }

    @Test func eventObjectsStayIntact() throws {
        let redactor = try RedactFixtures.redactor()
        let event: JSONValue = .object([
            "kind": .string("Event"), "type": .string("Warning"), "reason": .string("Failed"),
            "message": .string("Error: couldn't find key base-url in Secret em/em-runtime-secrets"),
            "involvedObject": .object(["kind": .string("Pod"), "name": .string("api-0"), "uid": .string("6f1c2a9b-8d7e-4f5a-9b3c-2d1e0f9a8b7c")]),
            "count": .number(7),
        ])
        #expect(redactor.redactObject(event, file: "events.json") == event)
    }
}
