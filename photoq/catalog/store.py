"""The catalog handle: one engine, short transactions, plain records out."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from photoq.catalog.db import engine_for_process, upgrade
from photoq.errors import RetryableError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine


class Catalog:
    """Owns the engine; repositories borrow transactions from it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Catalog:
        """The catalog at ``url`` (one engine per process), upgraded to the newest schema."""
        engine = engine_for_process(url)
        if migrate:
            upgrade(engine)
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error.

        A locked or unreachable database is a transient condition for a task, so it surfaces as
        :class:`RetryableError`.
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            msg = f"catalog database unavailable: {str(exc.orig).strip().splitlines()[0]}"
            raise RetryableError(msg) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
