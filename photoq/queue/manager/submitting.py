"""Submitting work: one photo, a batch, or a whole session with its culling job."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from photoq.catalog.photos import PhotoRepository
from photoq.errors import UsageError
from photoq.queue.dispatch import new_job, release_followups, submit
from photoq.queue.manager.base import ManagerBase
from photoq.queue.priority import Priority, get_priority_for_photo
from photoq.queue.routing import GROUP_PHOTOS, PROCESS_PHOTO

if TYPE_CHECKING:
    from photoq.catalog.job_records import NewJob


class Submitting(ManagerBase):
    """``submit_*``: jobs created in the catalog, then published to the broker."""

    def _photo_job(self, photo_id: int, session_id: int, score: float | None, user: bool) -> NewJob:
        return new_job(
            PROCESS_PHOTO,
            get_priority_for_photo(score, user),
            self.settings.max_retries,
            photo_id=photo_id,
            session_id=session_id,
            user_requested=user,
        )

    def submit_photo_processing(self, photo_id: int, user_requested: bool = False) -> int:
        """Queue the analysis of one photo; its priority comes from its AI score, and a
        user-requested photo goes to the top. Returns the job id."""
        return self._submit_photos([photo_id], user_requested)[0]

    def submit_batch_processing(self, photo_ids: list[int]) -> list[int]:
        """Queue the analysis of several photos, each at its own priority; returns job ids."""
        return self._submit_photos(list(dict.fromkeys(photo_ids)), False)

    def _submit_photos(self, photo_ids: list[int], user: bool) -> list[int]:
        known = PhotoRepository(self.catalog).scores(photo_ids)
        missing = [str(pid) for pid in photo_ids if pid not in known]
        if missing:
            msg = f"no photo with id {', '.join(missing[:5])} in the catalog (photoq ingest adds)"
            raise UsageError(msg)
        specs = [self._photo_job(pid, *known[pid], user) for pid in photo_ids]
        return submit(self._broker(), self.catalog, specs)

    def submit_session_processing(
        self, session_id: int, auto_select: bool = True, *, sidecars: bool = False
    ) -> list[int]:
        """Queue the analysis of every photo of a session; with ``auto_select`` also the
        culling (groups, picks, ratings), which waits as ``pending`` until every analysis has
        finished. Returns the job ids, the culling job last."""
        photos = self._photos_of(session_id)
        ids = [p.id for p in photos.photos(session_id)]
        scores = photos.scores(ids)
        specs = [self._photo_job(pid, session_id, scores[pid][1], False) for pid in ids]
        if auto_select:
            select = new_job(
                GROUP_PHOTOS,
                Priority.MEDIUM,
                self.settings.max_retries,
                session_id=session_id,
                payload={"sidecars": sidecars},
            )
            specs.append(dataclasses.replace(select, pending=True))
        app = self._broker()
        job_ids = submit(app, self.catalog, specs)
        release_followups(app, self.catalog, session_id)  # a session without photos
        return job_ids
