"""A stand-in for an em-runtime Python service (governance, assets, utils) starting up.

It does what such a service does at start: load pydantic settings from the environment, reach Redis,
open its database with SQLAlchemy (psycopg2 or asyncpg), run `alembic.command.upgrade(cfg, "head")`
in-process, then report a uvicorn-style "Application startup complete.". Nothing is caught: a failure
leaves as the real, uncaught Python traceback, exactly what `kubectl logs --previous` shows.

Environment: SERVICE_NAME, BASE_URL, DATABASE_URL, REDIS_URL, FEATURE_FLAGS (JSON), MIGRATIONS_DIR.
"""

import asyncio
import json
import logging
import sys

import redis
from alembic import command
from alembic.config import Config
from pydantic import HttpUrl
from pydantic_settings import BaseSettings
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine


class Settings(BaseSettings):
    """The service's settings, read from environment variables (pydantic-settings)."""

    service_name: str = "governance"
    base_url: HttpUrl
    database_url: str
    redis_url: str
    feature_flags: str = "{}"
    migrations_dir: str = "migrations"


def uvicorn(message: str) -> None:
    # uvicorn's default formatter: level name, colon, padded to 10 columns. PID 1 as in a container.
    print(f"INFO:     {message}", flush=True)


async def check_async_database(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    await engine.dispose()


def main() -> None:
    # The format alembic.ini's [formatter_generic] uses, so alembic's INFO lines look as in real services.
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)-5.5s [%(name)s] %(message)s")
    uvicorn("Started server process [1]")
    uvicorn("Waiting for application startup.")
    settings = Settings()
    log = logging.getLogger(f"em_runtime.{settings.service_name}")
    log.info("Starting em-runtime-%s (base URL %s)", settings.service_name, settings.base_url)
    flags = json.loads(settings.feature_flags)
    log.info("Feature flags: %s", ", ".join(sorted(flags)) or "none")

    redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
    log.info("Connected to Redis")

    if "+asyncpg" in settings.database_url:
        asyncio.run(check_async_database(settings.database_url))
    else:
        engine = create_engine(settings.database_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    log.info("Connected to the database")

    cfg = Config()
    cfg.set_main_option("script_location", settings.migrations_dir)
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(cfg, "head")

    uvicorn("Application startup complete.")
    uvicorn("Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)")


if __name__ == "__main__":
    main()
