"""Engines and schema upgrades for the catalog (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, ProgrammingError

from photoq.errors import ConfigError, ServiceUnavailable, redact
from photoq.private_files import private_dir, private_file

MIGRATIONS = Path(__file__).with_name("migrations")
#: Workers write concurrently; SQLite makes a writer wait this long for the lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling starts transactions lazily and late; switch it off so
    # the "begin" hook below decides, and set the pragmas every connection needs.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two workers never deadlock upgrading a
    # read lock; the busy timeout then queues them instead of failing with "database is locked".
    # Read-only transactions need no lock in WAL mode and must not queue behind writers.
    if conn.get_execution_options().get("photoq_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _private_sqlite(database: Path) -> None:
    """The catalog and its -wal and -shm files readable by their owner only (SQLite gives the
    -wal and -shm it creates the database file's mode); a missing folder is created 0700."""
    if not database.parent.exists():
        private_dir(database.parent, what="PHOTOQ_DATABASE_URL")
    private_file(database)
    for extra in ("-wal", "-shm", "-journal"):
        companion = database.with_name(database.name + extra)
        if companion.exists():
            private_file(companion)


#: libpq's connect timeout and TCP keepalives (seconds), unless the URL sets its own.
PG_CONNECTION_BOUNDS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


def create_catalog_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings photoq relies on."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        msg = redact(f"PHOTOQ_DATABASE_URL: not a database URL: {url!r}")
        raise ConfigError(msg) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_sqlite(Path(parsed.database))
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # A host whose link is cut must get an error in seconds, not hang on TCP's minutes: the
    # task then hands its message back and the heartbeat thread notices (see queue.tracking).
    bounds = {k: v for k, v in PG_CONNECTION_BOUNDS.items() if k not in parsed.query}
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args=bounds)
    except (ArgumentError, ModuleNotFoundError) as exc:
        msg = redact(f"PHOTOQ_DATABASE_URL: unsupported database URL {url!r}: {exc}")
        raise ConfigError(msg) from None


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this version of photoq."""
    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    head = head_revision()
    try:
        if current_revision(engine) == head:
            return
        command.upgrade(_alembic_config(engine), "head")
    except (OperationalError, IntegrityError, ProgrammingError) as exc:
        # Two processes starting on a fresh catalog race to create it; the loser finds the
        # schema already in place, which is all it wanted.
        with contextlib.suppress(OperationalError):
            if current_revision(engine) == head:
                return
        msg = redact(f"cannot reach the catalog database {engine.url!r}: {_first_line(exc)}")
        raise ServiceUnavailable(msg) from None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return text.strip().splitlines()[0]


_ENGINES: dict[tuple[int, str], Engine] = {}


def engine_for_process(url: str) -> Engine:
    """One engine per (process, URL): forked Celery workers must not share pooled connections."""
    key = (os.getpid(), url)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = create_catalog_engine(url)
        _ENGINES[key] = engine
    return engine
