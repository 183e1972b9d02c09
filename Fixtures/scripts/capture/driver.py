"""Runs the capture scenarios against the live PostgreSQL and Redis that `capture-real-logs` started.

Each scenario starts the stand-in service (app.py) with a given environment and a given set of Alembic
revisions, and stores its combined stdout+stderr. Server-side PostgreSQL lines are cut from the server log.
Only machine noise is normalised (see README.md in the output folder): temporary paths and random ports.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parent

# Alembic revisions of the stand-in services: (revision, down_revision, message, upgrade body).
GOVERNANCE = [
    ("5a1c0e7f3b21", None, "create organizations", 'op.create_table("organizations", *COLUMNS)'),
    ("8d3e42b9c0a4", "5a1c0e7f3b21", "add projects", 'op.create_table("projects", *COLUMNS)'),
    ("b27f9a61d3e8", "8d3e42b9c0a4", "add permissions", 'op.create_table("permissions", *COLUMNS)'),
    ("c4e81d05a7f2", "b27f9a61d3e8", "add project members", 'op.create_table("project_members", *COLUMNS)'),
]
AUDIT_LOG = ("e9a3f4c2b1d7", "c4e81d05a7f2", "add audit log", 'op.create_table("audit_log", *COLUMNS)')
QUOTAS = ("f1b6d8e2a4c9", "c4e81d05a7f2", "add project quotas", 'op.create_table("project_quotas", *COLUMNS)')
ASSETS = [
    ("0a7d3c5e9f12", None, "enable pgvector", 'op.execute("CREATE EXTENSION IF NOT EXISTS vector")'),
    ("1b8e4d6f0a23", "0a7d3c5e9f12", "create artifacts", 'op.create_table("artifacts", *COLUMNS)'),
]
# PostgreSQL 15 here has no pgvector, so the healthy assets start uses a chain without the extension.
ASSETS_WITHOUT_VECTOR = [
    ("1b8e4d6f0a23", None, "create artifacts", 'op.create_table("artifacts", *COLUMNS)'),
    ("3d0a6f8b2c45", "1b8e4d6f0a23", "add data connections", 'op.create_table("data_connections", *COLUMNS)'),
]
UTILS = [
    ("2c9f5e7a1b34", None, "create data catalog", 'op.create_table("catalog_entries", *COLUMNS)'),
    ("4e1b7a9c3d56", "2c9f5e7a1b34", "add schedules", 'op.create_table("schedules", *COLUMNS)'),
]
# governance and assets use psycopg2 (sync SQLAlchemy); utils uses asyncpg.
DRIVERS = {"governance": "psycopg2", "assets": "psycopg2", "utils": "asyncpg"}

REVISION_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down}
"""
import sqlalchemy as sa
from alembic import op

revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = None
depends_on = None

COLUMNS = (sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text, nullable=False))


def upgrade():
    {body}
'''

PASSWORDS = {
    "governance": "fake-governance-db-password",
    "assets": "fake-assets-db-password",
    "utils": "fake-utils-db-password",
    "keycloak": "fake-keycloak-db-password",
}
REDIS_PASSWORD = "fake-redis-password"


class Capture:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work)
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.pg_log = Path(args.pg_log)
        self.redis_log = Path(args.redis_log)
        self.pg_port = args.pg_port
        self.redis_port = args.redis_port
        self.app = self.work / "app"
        self.app.mkdir(exist_ok=True)
        (self.app / "app.py").write_text((HERE / "app.py").read_text())
        self.rows: list[tuple[str, str, str]] = []

    # --- normalisation -------------------------------------------------------------------------
    def normalise(self, text: str) -> str:
        """Replace machine noise: temp paths become container paths, random ports the standard ones."""
        site = self.args.site_packages.rstrip("/")
        stdlib = self.args.stdlib.rstrip("/")
        text = text.replace(site, "/usr/local/lib/python3.11/site-packages")
        text = re.sub(re.escape(str(self.work / "migrations")) + r"/[a-z]+", "/app/migrations", text)
        text = text.replace(str(self.app), "/app")
        text = text.replace(stdlib, "/usr/local/lib/python3.11")
        text = text.replace(str(self.work), "/var/lib")
        ports = {
            self.pg_port: "5432",
            self.args.closed_pg_port: "5433",
            self.redis_port: "6379",
            self.args.closed_redis_port: "6380",
        }
        for port, standard in ports.items():
            text = re.sub(rf"(?<!\d){port}(?!\d)", standard, text)
        return text

    def save(self, name: str, text: str, program: str, what: str, expect: str) -> None:
        """Stores one capture; `expect` is a text it must contain, so a capture that went wrong fails loudly."""
        if expect not in text:
            sys.exit(f"capture-real-logs: {name} lacks {expect!r}; the output was:\n{text}")
        (self.out / name).write_text(self.normalise(text))
        self.rows.append((name, program, what))
        print(f"  captured {name} ({len(text.splitlines())} lines)", file=sys.stderr)

    # --- PostgreSQL helpers --------------------------------------------------------------------
    def admin(self, database: str = "postgres"):
        conn = psycopg2.connect(host=self.args.pg_socket, port=self.pg_port, user="postgres", dbname=database)
        conn.autocommit = True
        return conn

    def sql(self, statement: str, database: str = "postgres") -> None:
        conn = self.admin(database)
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    def server_log_offset(self) -> int:
        return self.pg_log.stat().st_size

    def server_log_since(self, offset: int) -> str:
        time.sleep(0.5)  # the server writes its log asynchronously
        with self.pg_log.open("rb") as f:
            f.seek(offset)
            return f.read().decode()

    # --- the service ---------------------------------------------------------------------------
    def write_revisions(self, name: str, revisions) -> Path:
        folder = self.work / "migrations" / name
        versions = folder / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        for old in versions.glob("*.py"):
            old.unlink()
        (folder / "env.py").write_text((HERE / "alembic_env.py").read_text())
        (folder / "script.py.mako").write_text("")
        for revision, down, message, body in revisions:
            slug = message.replace(" ", "_")
            (versions / f"{revision}_{slug}.py").write_text(
                REVISION_TEMPLATE.format(
                    message=message, revision=revision, down=down or "", down_revision=down, body=body
                )
            )
        return folder

    def database_url(self, service: str, driver: str | None = None, password: str | None = None,
                     database: str | None = None, port: int | None = None) -> str:
        driver = driver or DRIVERS[service]
        password = password or PASSWORDS[service]
        database = database or service
        port = port or self.pg_port
        return f"postgresql+{driver}://{service}:{password}@127.0.0.1:{port}/{database}"

    def run_service(self, service: str, migrations: Path, **overrides: str) -> str:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.work),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "SERVICE_NAME": service,
            "BASE_URL": "https://em.example.test",
            "DATABASE_URL": self.database_url(service),
            "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.redis_port}/0",
            "MIGRATIONS_DIR": str(migrations),
        }
        env.update(overrides)
        result = subprocess.run(
            [sys.executable, "app.py"], cwd=self.app, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=60,
        )
        return result.stdout

    # --- scenarios -----------------------------------------------------------------------------
    def setup_databases(self) -> None:
        for role, password in PASSWORDS.items():
            self.sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        for database in ("governance", "assets", "keycloak"):
            self.sql(f"CREATE DATABASE {database} OWNER {database}")
        # utils gets no database: the missing-database scenario.

    def capture_all(self) -> None:
        python = "Python 3.11 service stand-in (`capture/app.py`)"
        psql = f"PostgreSQL {self.args.pg_version} (Debian)"
        redis_v = f"redis-server {self.args.redis_version}"

        self.save("postgresql-healthy.log", self.pg_log.read_text(), psql,
                  "server log of a fresh cluster started with pg_ctl, up to `ready to accept connections`",
                  expect='database system is ready to accept connections')
        self.save("redis-healthy.log", self.redis_log.read_text(), redis_v,
                  "stdout of redis-server started with requirepass, up to `Ready to accept connections`",
                  expect='Ready to accept connections')
        self.setup_databases()

        gov = self.write_revisions("governance", GOVERNANCE)
        self.save("service-healthy.log", self.run_service("governance", gov), python,
                  "governance start on an empty database: 4 Alembic `Running upgrade` lines, then startup complete",
                  expect='Application startup complete.')
        self.save("service-healthy-restart.log", self.run_service("governance", gov), python,
                  "governance restart on an up-to-date database: no upgrade to run, startup complete",
                  expect='Application startup complete.')

        heads = self.write_revisions("governance", GOVERNANCE + [AUDIT_LOG, QUOTAS])
        self.save("alembic-multiple-heads.log", self.run_service("governance", heads), python,
                  "two revisions with the same down_revision: `upgrade head` fails with multiple heads",
                  expect='Multiple head')

        newer = self.write_revisions("governance", GOVERNANCE + [AUDIT_LOG])
        self.save("alembic-upgrade-newer.log", self.run_service("governance", newer), python,
                  "governance of the newer image applies e9a3f4c2b1d7 (the state before the rollback)",
                  expect='Running upgrade c4e81d05a7f2 -> e9a3f4c2b1d7')
        older = self.write_revisions("governance", GOVERNANCE)
        self.save("alembic-unknown-revision.log", self.run_service("governance", older), python,
                  "the older image (revision file e9a3f4c2b1d7 removed) starts on the migrated database",
                  expect="Can't locate revision identified by 'e9a3f4c2b1d7'")

        self.sql("DELETE FROM alembic_version", "governance")
        self.sql("INSERT INTO alembic_version VALUES ('b27f9a61d3e8'), ('c4e81d05a7f2')", "governance")
        self.save("alembic-overlapping-revisions.log", self.run_service("governance", older), python,
                  "alembic_version holds two rows on one lineage (b27f9a61d3e8 and its descendant c4e81d05a7f2)",
                  expect='overlaps with other requested revisions')

        assets = self.write_revisions("assets", ASSETS)
        self.save("missing-extension-vector.log", self.run_service("assets", assets), python,
                  "assets' first revision runs CREATE EXTENSION IF NOT EXISTS vector on PostgreSQL 15 without pgvector",
                  expect='extension "vector" is not available')
        plain = self.write_revisions("assets", ASSETS_WITHOUT_VECTOR)
        self.save("service-healthy-assets.log", self.run_service("assets", plain), python,
                  "assets starts (a revision chain without pgvector, which this PostgreSQL lacks)",
                  expect="Application startup complete.")

        utils = self.write_revisions("utils", UTILS)
        offset = self.server_log_offset()
        self.save("missing-database-psycopg2.log",
                  self.run_service("utils", utils, DATABASE_URL=self.database_url("utils", "psycopg2")), python,
                  "utils with psycopg2 (variant) connects to database `utils`, which does not exist",
                  expect='database "utils" does not exist')
        self.save("missing-database-asyncpg.log",
                  self.run_service("utils", utils, DATABASE_URL=self.database_url("utils", "asyncpg")), python,
                  "utils (asyncpg) connects to database `utils`, which does not exist",
                  expect='database "utils" does not exist')
        self.save("postgresql-missing-database.log", self.server_log_since(offset), psql,
                  "server log lines of the two connections to the missing database `utils`",
                  expect='database "utils" does not exist')
        self.sql("CREATE DATABASE utils OWNER utils")
        self.save("service-healthy-utils.log", self.run_service("utils", utils), python,
                  "utils (asyncpg, Alembic through run_sync) starts on its new empty database",
                  expect="Application startup complete.")

        offset = self.server_log_offset()
        wrong = "fake-old-password"
        self.save("auth-failed-psycopg2.log",
                  self.run_service("governance", gov, DATABASE_URL=self.database_url("governance", password=wrong)),
                  python, "governance (psycopg2) logs in with a wrong password (scram-sha-256)",
                  expect='password authentication failed for user "governance"')
        self.save("auth-failed-asyncpg.log",
                  self.run_service("utils", utils, DATABASE_URL=self.database_url("utils", password=wrong)),
                  python, "utils (asyncpg) logs in with a wrong password (scram-sha-256)",
                  expect='password authentication failed for user "utils"')
        self.save("postgresql-auth-failed.log", self.server_log_since(offset), psql,
                  "server log lines of the two failed password logins",
                  expect='password authentication failed for user')

        offset = self.server_log_offset()
        try:
            psycopg2.connect(host="127.0.0.1", port=self.pg_port, user="keycloak", password=wrong, dbname="keycloak")
        except psycopg2.OperationalError:
            pass
        self.save("postgresql-auth-failed-keycloak.log", self.server_log_since(offset), psql,
                  "server log lines of a failed login of user `keycloak` (what Keycloak's JDBC driver causes)",
                  expect='password authentication failed for user "keycloak"')

        closed = self.args.closed_pg_port
        self.save("unreachable-psycopg2.log",
                  self.run_service("governance", gov, DATABASE_URL=self.database_url("governance", port=closed)),
                  python, "governance (psycopg2) connects to a port nothing listens on (normalised to 5433)",
                  expect='Connection refused')
        self.save("unreachable-asyncpg.log",
                  self.run_service("utils", utils, DATABASE_URL=self.database_url("utils", port=closed)),
                  python, "utils (asyncpg) connects to a port nothing listens on (normalised to 5433)",
                  expect='Connect call failed')

        self.save("redis-refused.log",
                  self.run_service("governance", gov,
                                   REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.args.closed_redis_port}/0"),
                  python, "redis-py connects to a port nothing listens on (normalised to 6380)",
                  expect='Connection refused')
        self.save("redis-noauth.log",
                  self.run_service("assets", plain, REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0?protocol=2"),
                  python, "redis-py (RESP2) sends no password to a Redis with requirepass (NOAUTH)",
                  expect="Authentication required")
        self.save("redis-noauth-resp3.log",
                  self.run_service("assets", plain, REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0"), python,
                  "redis-py 8 (RESP3 by default, HELLO first) sends no password to a Redis with requirepass",
                  expect='HELLO must be called with the client already authenticated')
        self.save("redis-wrongpass.log",
                  self.run_service("governance", gov, REDIS_URL=f"redis://:fake-old-redis-password@127.0.0.1:{self.redis_port}/0"),
                  python, "redis-py sends a wrong password (WRONGPASS)",
                  expect='invalid username-password pair')

        self.save("settings-base-url-invalid.log",
                  self.run_service("governance", gov, BASE_URL="em.example.test"), python,
                  "pydantic-settings rejects BASE_URL=em.example.test (no scheme)",
                  expect='relative URL without a base')
        self.save("service-generic-error.log",
                  self.run_service("utils", utils, FEATURE_FLAGS='{"catalog-search": tru}'), python,
                  "utils crashes on a malformed FEATURE_FLAGS JSON value: a crash no signature names",
                  expect='JSONDecodeError')

    def write_index(self) -> None:
        (self.work / "captured-rows.json").write_text(json.dumps(self.rows, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("work", "out", "pg-log", "redis-log", "pg-socket", "site-packages", "stdlib", "versions",
                 "pg-version", "redis-version"):
        parser.add_argument(f"--{name}", required=True)
    for name in ("pg-port", "redis-port", "closed-pg-port", "closed-redis-port"):
        parser.add_argument(f"--{name}", type=int, required=True)
    capture = Capture(parser.parse_args())
    capture.capture_all()
    capture.write_index()


if __name__ == "__main__":
    main()
