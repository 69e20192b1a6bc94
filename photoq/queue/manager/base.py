"""What every part of the job manager stands on: settings, catalog, the Celery app, joining the
embedded broker while open, and the lookups that turn an unknown id into a one-line error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from photoq.catalog.job_admin import JobAdmin
from photoq.catalog.jobs import JobRepository
from photoq.catalog.photos import PhotoRepository
from photoq.errors import UsageError
from photoq.queue.embedded import EmbeddedBroker

if TYPE_CHECKING:
    from celery import Celery

    from photoq.catalog.job_records import JobInfo
    from photoq.catalog.store import Catalog
    from photoq.config import Settings


class ManagerBase:
    """The connection a manager holds; use it as a context manager (or call :meth:`close`):
    on the embedded default it joins photoq's private Valkey server for as long as it is open."""

    def __init__(self, settings: Settings, catalog: Catalog, app: Celery) -> None:
        self.settings, self.catalog, self.app = settings, catalog, app
        self.jobs, self.admin = JobRepository(catalog), JobAdmin(catalog)
        self._embedded: EmbeddedBroker | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._embedded is not None:
            self._embedded.release()
            self._embedded = None

    def _broker(self) -> Celery:
        """The app, with the embedded broker running if that is the broker."""
        if self.settings.embedded and self._embedded is None:
            self._embedded = EmbeddedBroker(self.settings.home)
            self._embedded.acquire()
        return self.app

    def _job(self, job_id: int) -> JobInfo:
        info = self.jobs.get(job_id)
        if info is None:
            raise no_such_job(job_id)
        return info

    def _photos_of(self, session_id: int) -> PhotoRepository:
        """The photo repository, once ``session_id`` is known to exist."""
        photos = PhotoRepository(self.catalog)
        if session_id not in photos.session_ids():
            msg = f"no session with id {session_id} (photoq ingest FOLDER creates one)"
            raise UsageError(msg)
        return photos


def no_such_job(job_id: int) -> UsageError:
    return UsageError(f"no job with id {job_id} (photoq jobs list shows the jobs)")
