"""The Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, DateTime, Engine, MetaData, String, inspect, text

from photoq.catalog.db import (
    MIGRATIONS,
    SQLITE_BUSY_TIMEOUT_MS,
    create_catalog_engine,
    current_revision,
    head_revision,
    upgrade,
)
from photoq.catalog.models import Base, UTCDateTime
from photoq.catalog.store import Catalog

MODEL_TABLES = {
    "sessions",
    "photos",
    "jobs",
    "job_attempts",
    "queue_state",
    "workers",
    "groups",
    "group_members",
    "presets",
    "system_metrics",
    "exports",
}
ALL_TABLES = MODEL_TABLES | {"alembic_version"}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no migrations run yet)."""
    engine = create_catalog_engine(db_url)
    yield engine
    engine.dispose()


def _alembic(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _is_utc_decorator_only(diff: Any) -> bool:
    """A modify_type diff that is only UTCDateTime (the model) vs DateTime(timezone=True)."""
    if not isinstance(diff, list) or len(diff) != 1:
        return False
    op = diff[0]
    if op[0] != "modify_type":
        return False
    existing, model_type = op[-2], op[-1]
    return (
        isinstance(model_type, UTCDateTime)
        and isinstance(existing, DateTime)
        and bool(existing.timezone)
    )


def _differences(engine: Engine, metadata: MetaData) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs = compare_metadata(context, metadata)
    return [d for d in diffs if not _is_utc_decorator_only(d)]


def test_models_cover_exactly_the_migrated_tables() -> None:
    assert set(Base.metadata.tables) == MODEL_TABLES


def test_upgrade_creates_every_table(engine: Engine) -> None:
    assert _tables(engine) == set()
    assert current_revision(engine) is None
    upgrade(engine)
    assert _tables(engine) == ALL_TABLES
    assert head_revision() is not None
    assert current_revision(engine) == head_revision()


def test_alembic_command_api_creates_every_table(engine: Engine) -> None:
    config = _alembic(engine)
    command.upgrade(config, "head")
    assert _tables(engine) == ALL_TABLES
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [head_revision()]


def test_upgrade_twice_is_a_no_op(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO queue_state (queue, paused, updated_at) VALUES (:q, :p, :t)"),
            {"q": "low", "p": True, "t": datetime.now(UTC)},
        )
    # The second db.upgrade() must not even run Alembic ...
    calls: list[str] = []
    # photoq.catalog.db calls alembic.command.upgrade: the module imported here as ``command``.
    monkeypatch.setattr(command, "upgrade", lambda *a, **k: calls.append("upgrade"))
    upgrade(engine)
    assert calls == []
    monkeypatch.undo()
    # ... and the command API at head changes nothing either.
    command.upgrade(_alembic(engine), "head")
    assert _tables(engine) == ALL_TABLES
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT queue FROM queue_state")).scalars().all()
        versions = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar()
    assert rows == ["low"]
    assert versions == 1


def test_models_match_the_migrations(engine: Engine) -> None:
    # Against an empty database the comparison sees every model table missing ...
    missing = _differences(engine, Base.metadata)
    assert {d[1].name for d in missing if d[0] == "add_table"} == MODEL_TABLES
    upgrade(engine)
    # ... after the migrations it sees nothing at all.
    assert _differences(engine, Base.metadata) == []


def test_model_comparison_detects_a_drift(engine: Engine) -> None:
    """The comparison above is meaningful: a column the migrations lack is reported."""
    upgrade(engine)
    drifted = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["jobs"].append_column(Column("extra", String(8), nullable=True))
    drifted.tables["photos"].c.format.type = String(99)
    diffs = _differences(engine, drifted)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    assert any(d[0] == "add_column" and d[2] == "jobs" and d[3].name == "extra" for d in flat)
    assert any(d[0] == "modify_type" and d[2] == "photos" and d[3] == "format" for d in flat)


def test_downgrade_to_base_removes_the_tables(engine: Engine) -> None:
    config = _alembic(engine)
    upgrade(engine)
    command.downgrade(config, "base")
    assert _tables(engine) & MODEL_TABLES == set()
    assert current_revision(engine) is None
    # And the schema comes back cleanly afterwards.
    upgrade(engine)
    assert _tables(engine) == ALL_TABLES


def test_downgrade_to_0002_drops_the_system_metrics_table(engine: Engine) -> None:
    config = _alembic(engine)
    upgrade(engine)
    assert "ix_system_metrics_recorded_at" in {
        ix["name"] for ix in inspect(engine).get_indexes("system_metrics")
    }
    command.downgrade(config, "0002")
    assert current_revision(engine) == "0002"
    assert _tables(engine) == ALL_TABLES - {"system_metrics", "exports", "workers"}
    upgrade(engine)
    assert _tables(engine) == ALL_TABLES
    assert current_revision(engine) == head_revision()


def test_downgrade_to_0003_drops_the_exports_table(engine: Engine) -> None:
    config = _alembic(engine)
    upgrade(engine)
    assert {"uq_exports_path"} <= {
        c["name"] for c in inspect(engine).get_unique_constraints("exports")
    }
    command.downgrade(config, "0003")
    assert current_revision(engine) == "0003"
    assert _tables(engine) == ALL_TABLES - {"exports", "workers"}
    upgrade(engine)
    assert _tables(engine) == ALL_TABLES
    assert current_revision(engine) == head_revision()


def test_upgrade_to_0005_marks_old_dead_jobs_notified(engine: Engine) -> None:
    """A webhook is sent once per dead job: the jobs that died before heartbeats existed were
    notified the old way and must not be sent again by the new outbox."""
    config = _alembic(engine)
    command.upgrade(config, "0004")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO jobs (kind, queue, priority, status, attempts, max_retries, "
                "created_at, finished_at) VALUES ('noop', 'medium', 5, 'dead', 1, 3, "
                ":t, :t), ('noop', 'medium', 5, 'queued', 0, 3, :t, NULL)"
            ),
            {"t": "2026-01-01 00:00:00"},
        )
    command.upgrade(config, "0005")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, notified_at FROM jobs ORDER BY id")).all()
    assert [(status, notified is not None) for status, notified in rows] == [
        ("dead", True),
        ("queued", False),
    ]
    command.downgrade(config, "0004")
    assert "workers" not in _tables(engine)
    assert "notified_at" not in {c["name"] for c in inspect(engine).get_columns("jobs")}


def test_opening_a_0002_catalog_upgrades_it_and_keeps_its_rows(db_url: str) -> None:
    engine = create_catalog_engine(db_url)
    try:
        command.upgrade(_alembic(engine), "0002")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO queue_state (queue, paused, updated_at) VALUES (:q, :p, :t)"),
                {"q": "low", "p": True, "t": datetime.now(UTC)},
            )
        assert "system_metrics" not in _tables(engine)
    finally:
        engine.dispose()
    catalog = Catalog.open(db_url)
    assert current_revision(catalog.engine) == head_revision()
    assert _tables(catalog.engine) == ALL_TABLES
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT queue FROM queue_state")).scalars().all() == ["low"]
        assert conn.execute(text("SELECT count(*) FROM system_metrics")).scalar() == 0


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_catalog_engine(f"sqlite:///{tmp_path / 'sub' / 'catalog.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
            assert SQLITE_BUSY_TIMEOUT_MS >= 1000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
