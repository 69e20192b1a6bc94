"""The persisted pause flag of each queue: what a worker consults when it starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from photoq.catalog.models import QueueState, utcnow

if TYPE_CHECKING:
    from collections.abc import Iterable

    from photoq.catalog.store import Catalog


class QueueStateRepository:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def paused(self) -> set[str]:
        """The queues paused now."""
        stmt = select(QueueState.queue).where(QueueState.paused.is_(True))
        with self.catalog.transaction(read_only=True) as db:
            return set(db.scalars(stmt))

    def set_paused(self, queues: Iterable[str], paused: bool) -> None:
        """Pause or resume ``queues``; a queue never paused has no row."""
        with self.catalog.transaction() as db:
            for name in queues:
                row = db.get(QueueState, name)
                if row is None:
                    db.add(QueueState(queue=name, paused=paused, updated_at=utcnow()))
                else:
                    row.paused = paused
