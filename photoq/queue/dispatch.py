"""Publishing jobs: create the catalog rows, then send one message per job carrying only its id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from photoq.catalog.job_admin import JobAdmin
from photoq.catalog.job_records import Dispatch, NewJob
from photoq.catalog.jobs import JobRepository
from photoq.queue.broker import broker_errors
from photoq.queue.priority import job_priority, to_broker_priority
from photoq.queue.routing import queue_for, task_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from celery import Celery

    from photoq.catalog.store import Catalog


def new_job(
    kind: str,
    base_priority: int,
    max_retries: int,
    *,
    photo_id: int | None = None,
    session_id: int | None = None,
    user_requested: bool = False,
    payload: Mapping[str, object] | None = None,
) -> NewJob:
    """A job of ``kind`` on its task's queue, at ``base_priority`` folded with the task's tier."""
    queue = queue_for(kind)
    return NewJob(
        kind=kind,
        queue=queue.value,
        priority=job_priority(base_priority, queue, user_requested=user_requested),
        max_retries=max_retries,
        photo_id=photo_id,
        session_id=session_id,
        payload=dict(payload) if payload is not None else None,
    )


def publish(app: Celery, dispatches: list[Dispatch]) -> None:
    """Send the messages; the broker is asked once per job, on one connection."""
    if not dispatches:
        return
    with broker_errors(app), app.producer_or_acquire() as producer:
        for d in dispatches:
            app.send_task(
                task_name(d.kind),
                args=(d.job_id,),
                task_id=d.message_id,
                queue=d.queue,
                priority=to_broker_priority(d.priority),
                producer=producer,
            )


def submit(app: Celery, catalog: Catalog, specs: list[NewJob]) -> list[int]:
    """Create and publish jobs (``pending`` ones wait unpublished); returns their ids in order."""
    dispatches = JobRepository(catalog).create(specs)
    publish(app, [d for d, s in zip(dispatches, specs, strict=True) if not s.pending])
    return [d.job_id for d in dispatches]


def republish_unfinished(app: Celery, catalog: Catalog, job_ids: list[int]) -> list[int]:
    """Give each still-unfinished job a fresh message; returns the ids re-sent."""
    jobs = JobRepository(catalog)
    fresh = [d for d in (jobs.republish(job_id) for job_id in job_ids) if d is not None]
    publish(app, fresh)
    return [d.job_id for d in fresh]


def release_followups(app: Celery, catalog: Catalog, session_id: int) -> list[int]:
    """Queue the session's pending jobs whose earlier jobs have all finished."""
    ready = JobAdmin(catalog).release_pending(session_id)
    publish(app, ready)
    return [d.job_id for d in ready]
