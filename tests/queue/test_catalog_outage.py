"""A catalog that goes away mid-run never costs a job (DESIGN.md invariant 7): PostgreSQL refusing
every connection for a few seconds while real workers claim and finish jobs. On the main of
2026-12-04 the claims and finishes that failed were acked anyway and their jobs stayed
``queued`` or ``running`` for ever."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from photoq.catalog.store import Catalog
from photoq.config import Settings
from photoq.queue.app import create_app
from photoq.queue.embedded import EmbeddedBroker, embedded_broker_url
from photoq.queue.priority import Priority
from tests.helpers import QueueHarness, probe

pytestmark = pytest.mark.integration

OUTAGE_S = 4.0


@pytest.fixture
def pg_harness(
    short_tmp: Path, valkey: EmbeddedBroker, postgres_url: str
) -> Iterator[QueueHarness]:
    home = short_tmp / "home"
    home.mkdir()
    settings = Settings(
        home=home, broker_url=embedded_broker_url(valkey.home), database_url=postgres_url
    )
    env = {
        **os.environ,
        "PHOTOQ_HOME": str(home),
        "PHOTOQ_BROKER_URL": settings.broker_url or "",
        "PHOTOQ_DATABASE_URL": postgres_url,
        "PHOTOQ_RECOVERY_WITHIN": "3",
    }
    h = QueueHarness(settings, create_app(settings), Catalog.open(postgres_url), env, valkey)
    yield h
    h.stop_workers()


def _refuse_connections(admin_url: str, database: str, seconds: float) -> None:
    """Refuse new connections to ``database`` and cut the open ones, for ``seconds``."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    cut = text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = :db AND pid <> pg_backend_pid()"
    )
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                conn.execute(cut, {"db": database})
                time.sleep(0.25)
        finally:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
    admin.dispose()


@pytest.mark.parametrize("retry_for", ["60", "1"], ids=["retried-through", "handed-back"])
def test_jobs_survive_a_catalog_outage(
    pg_harness: QueueHarness, postgres_admin: str, retry_for: str
) -> None:
    """``retried-through``: the tasks wait the outage out; ``handed-back``: it outlasts
    PHOTOQ_CATALOG_RETRY_FOR, so their messages go back to the broker and run again."""
    pg_harness.env["PHOTOQ_CATALOG_RETRY_FOR"] = retry_for
    pg_harness.start_worker(concurrency=2)
    job_ids = pg_harness.submit([probe(Priority.MEDIUM, sleep=0.4) for _ in range(10)])
    pg_harness.wait_status(job_ids[0], "running")
    database = str(pg_harness.catalog.engine.url.database)
    outage = threading.Thread(target=_refuse_connections, args=(postgres_admin, database, OUTAGE_S))
    outage.start()
    outage.join()
    infos = pg_harness.wait_final(job_ids, timeout=60)
    assert [i.status for i in infos] == ["succeeded"] * len(job_ids)
    succeeded = [
        sum(a.outcome == "succeeded" for a in pg_harness.jobs.attempts(j)) for j in job_ids
    ]
    assert succeeded == [1] * len(job_ids)
