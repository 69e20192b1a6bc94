"""Tasks with no photo work, for measuring the queue and checking its behaviour end to end.

``noop`` does nothing (throughput benchmarks); ``probe`` sleeps, fails transiently for its first
attempts, fails permanently, or fails permanently while ``needs_file`` is missing, as its payload
asks (queue behaviour tests, health checks). A probe
can also write its process id to ``pid_file`` while it runs and append a line to ``done_file``
when it completes, so a test can kill the process running it and count completions.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoq.errors import PermanentError, RetryableError
from photoq.queue import app
from photoq.queue.tracking import TrackedTask

if TYPE_CHECKING:
    from photoq.catalog.job_records import Claim
    from photoq.catalog.store import Catalog


def _noop(_catalog: Catalog, _claim: Claim) -> dict[str, Any] | None:
    return None


def _probe(_catalog: Catalog, claim: Claim) -> dict[str, Any]:
    payload = claim.payload
    if payload.get("pid_file"):
        Path(payload["pid_file"]).write_text(str(os.getpid()))
    time.sleep(float(payload.get("sleep", 0)))
    if claim.attempt <= int(payload.get("transient_failures", 0)):
        msg = f"probe: transient failure {claim.attempt}"
        raise RetryableError(msg)
    if payload.get("permanent_failure"):
        msg = str(payload["permanent_failure"])
        raise PermanentError(msg)
    if payload.get("needs_file") and not Path(payload["needs_file"]).exists():
        msg = f"probe: {payload['needs_file']} is missing"
        raise PermanentError(msg)
    if payload.get("done_file"):
        with Path(payload["done_file"]).open("a") as done:
            done.write(f"{claim.job_id}\n")
    return {"attempt": claim.attempt, "tag": payload.get("tag")}


@app.task(bind=True, base=TrackedTask, name="photoq.noop")
def noop_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    return self.run_job(job_id, _noop)


@app.task(bind=True, base=TrackedTask, name="photoq.probe")
def probe_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    return self.run_job(job_id, _probe)
