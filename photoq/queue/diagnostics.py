"""Tasks with no photo work, for measuring the queue and checking its behaviour end to end.

``noop`` does nothing (throughput benchmarks); ``probe`` sleeps, fails transiently for its first
attempts or fails permanently, as its payload asks (queue behaviour tests, health checks).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from photoq.errors import PermanentError, RetryableError
from photoq.queue import app
from photoq.queue.tracking import TrackedTask

if TYPE_CHECKING:
    from photoq.catalog.jobs import Claim
    from photoq.catalog.store import Catalog


def _noop(_catalog: Catalog, _claim: Claim) -> dict[str, Any] | None:
    return None


def _probe(_catalog: Catalog, claim: Claim) -> dict[str, Any]:
    payload = claim.payload
    time.sleep(float(payload.get("sleep", 0)))
    if claim.attempt <= int(payload.get("transient_failures", 0)):
        msg = f"probe: transient failure {claim.attempt}"
        raise RetryableError(msg)
    if payload.get("permanent_failure"):
        msg = str(payload["permanent_failure"])
        raise PermanentError(msg)
    return {"attempt": claim.attempt, "tag": payload.get("tag")}


@app.task(bind=True, base=TrackedTask, name="photoq.noop")
def noop_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    return self.run_job(job_id, _noop)


@app.task(bind=True, base=TrackedTask, name="photoq.probe")
def probe_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    return self.run_job(job_id, _probe)
