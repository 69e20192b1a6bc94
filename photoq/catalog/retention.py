"""Forgetting old work: finished jobs past their retention, and where stray temp files may lie."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from photoq.catalog.models import FINAL_STATES, Job, JobAttempt, Photo

if TYPE_CHECKING:
    from datetime import datetime

    from photoq.catalog.store import Catalog

#: Rows deleted per statement: keeps each transaction short and under bind-parameter limits.
BATCH = 500


@dataclass(frozen=True)
class Deleted:
    jobs: int
    attempts: int


def delete_finished_before(catalog: Catalog, cutoff: datetime) -> Deleted:
    """Delete jobs that finished before ``cutoff``, with their attempt rows. A newer job that
    retried one of them keeps working; it just no longer points at it."""
    jobs = attempts = 0
    final = [s.value for s in FINAL_STATES]
    while True:
        with catalog.transaction() as db:
            ids = list(
                db.scalars(
                    select(Job.id)
                    .where(Job.status.in_(final), Job.finished_at < cutoff)
                    .limit(BATCH)
                )
            )
            if not ids:
                return Deleted(jobs, attempts)
            db.execute(update(Job).where(Job.retry_of.in_(ids)).values(retry_of=None))
            attempts += db.execute(delete(JobAttempt).where(JobAttempt.job_id.in_(ids))).rowcount  # type: ignore[attr-defined]
            jobs += db.execute(delete(Job).where(Job.id.in_(ids))).rowcount  # type: ignore[attr-defined]


def output_folders(catalog: Catalog, export_kind: str) -> set[str]:
    """Folders photoq writes into: those of the photos (sidecars) and the export folders named
    by the ``export_kind`` jobs still in the catalog. Only there can an interrupted write leave
    a temp file."""
    with catalog.transaction(read_only=True) as db:
        folders = {os.path.dirname(p) for p in db.scalars(select(Photo.path))}
        for payload in db.scalars(select(Job.payload).where(Job.kind == export_kind)):
            if payload and payload.get("out"):
                folders.add(str(payload["out"]))
    return folders
