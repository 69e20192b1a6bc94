"""The catalog handle: one engine, short transactions, plain records out."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from photoq.catalog.db import engine_for_process, upgrade
from photoq.errors import CatalogUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Connection, Engine


_OPEN: dict[tuple[int, str], Catalog] = {}


class Catalog:
    """Owns the engine; repositories borrow transactions from it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._migrated = False
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(
            engine.execution_options(photoq_read_only=True), expire_on_commit=False
        )

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Catalog:
        """The catalog at ``url``, one per process (a task opens it on every run), upgraded to
        the newest schema the first time it is opened with ``migrate``."""
        key = (os.getpid(), url)
        catalog = _OPEN.get(key)
        if catalog is None:
            catalog = _OPEN[key] = cls(engine_for_process(url))
        if migrate and not catalog._migrated:
            upgrade(catalog.engine)
            catalog._migrated = True
        return catalog

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        """An ORM session that commits on success and rolls back on error.

        ``read_only`` transactions do not take SQLite's write lock, so status polling never
        queues behind the workers' writes. A locked or unreachable database is a transient
        condition for a task, so it surfaces as
        :class:`~photoq.errors.CatalogUnavailable`, a RetryableError.
        """
        session = (self._readers if read_only else self._sessions)()
        try:
            yield session
            session.commit()
        except (OperationalError, InterfaceError) as exc:
            session.rollback()
            raise _unavailable(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction, for the statements on the hot path."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except (OperationalError, InterfaceError) as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: OperationalError | InterfaceError) -> CatalogUnavailable:
    return CatalogUnavailable(
        f"catalog database unavailable: {str(exc.orig).strip().splitlines()[0]}"
    )
