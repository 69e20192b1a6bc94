"""The broker's own view of the queues: messages waiting in Redis, and emptying a queue.

Redis keeps one list per priority step (``low``, ``low:1`` … ``low:9``); kombu's channel sums and
purges them together, so nothing here knows the key layout.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from photoq.errors import ServiceUnavailable, redact

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from celery import Celery


@contextmanager
def broker_errors(app: Celery) -> Iterator[None]:
    """Turn a lost or refused broker connection into a one-line :class:`ServiceUnavailable`."""
    try:
        yield
    except (KombuOperationalError, RedisError, OSError) as exc:
        msg = redact(
            f"cannot reach the broker {app.conf.broker_url}: {str(exc).rstrip('.')}; "
            "check that Redis/Valkey runs and PHOTOQ_BROKER_URL points at it"
        )
        raise ServiceUnavailable(msg) from None


def broker_depths(app: Celery, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting in the broker per queue (stale ones included: the broker cannot tell)."""
    depths: dict[str, int] = {}
    with broker_errors(app), app.connection_for_write() as conn:
        channel = conn.default_channel
        for name in queues:
            declared = app.amqp.queues[name].bind(channel).queue_declare()
            depths[name] = int(declared.message_count)
    return depths


def purge_broker(app: Celery, queues: Iterable[str]) -> int:
    """Delete every message waiting in ``queues``; returns how many there were."""
    removed = 0
    with broker_errors(app), app.connection_for_write() as conn:
        channel = conn.default_channel
        for name in queues:
            removed += int(channel.queue_purge(name) or 0)
    return removed
