#!/usr/bin/env python3
"""Writes a realistic em-runtime log of about SIZE bytes (kubectl --timestamps lines, near-misses, and a few
planted real failure lines taken from Fixtures/captured) to OUT. Deterministic (seeded)."""
import random, sys, datetime
out, size = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
normal = [
    'INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.',
    'INFO  [alembic.runtime.migration] Will assume transactional DDL.',
    'INFO:     10.42.0.17:51234 - "GET /governance/health HTTP/1.1" 200 OK',
    'INFO  [em_runtime.governance] database "governance" pool stats: size=5 checked_out=1',
    'DEBUG [em_runtime.assets] role "readonly" granted on schema public',
    'INFO  [em_runtime.utils] Connected to Redis at em-runtime-redis-master:6379',
    'WARN  [io.agroal.pool] (agroal-11) Datasource <default>: connection validation took 12ms',
    '{"level":"info","ts":1795169190.0,"msg":"grpc request","grpc_method":"Check","duration":"1.2ms"}',
    '{"level":30,"time":1795169200000,"pid":1,"severity":"INFO","msg":"secret fetched","path":"/api/v3/secrets"}',
    'INFO  [org.keycloak.events] (executor-thread-3) type=LOGIN, realmId=9f1c, clientId=em-runtime, userId=42',
]
planted = [
    "alembic.util.exc.CommandError: Multiple head revisions are present for given argument 'head'; please specify a specific target revision",
    "alembic.util.exc.CommandError: Can't locate revision identified by 'e9a3f4c2b1d7'",
    'psycopg2.OperationalError: connection to server at "10.43.18.7", port 5432 failed: FATAL:  password authentication failed for user "governance"',
    'asyncpg.exceptions.InvalidCatalogNameError: database "utils" does not exist',
    'psycopg2.errors.FeatureNotSupported: extension "vector" is not available',
    'redis.exceptions.ConnectionError: Error 111 connecting to 10.43.12.9:6379. Connection refused.',
    'redis.exceptions.AuthenticationError: invalid username-password pair or user is disabled.',
    'Error: connect ECONNREFUSED 10.43.18.7:5432',
    "{\"level\":\"warn\",\"msg\":\"datastore is not ready\",\"reason\":\"datastore requires migrations: at revision '0', but requires '4'. Run 'openfga migrate'.\"}",
    'Invalid environment variables. Check the error below',
]
t = datetime.datetime(2026, 11, 20, 10, 0, 0)
written = 0
with open(out, 'w') as f:
    n = 0
    while written < size:
        n += 1
        t += datetime.timedelta(microseconds=rnd.randint(100, 5000))
        msg = planted[n // 100000 % len(planted)] if n % 100000 == 0 else rnd.choice(normal)
        line = t.strftime('%Y-%m-%dT%H:%M:%S.%f') + '000Z ' + msg + '\n'
        f.write(line)
        written += len(line)
