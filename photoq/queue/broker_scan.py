"""Which message ids the broker holds now: waiting in a queue, or delivered and not yet acked.

Reconciliation (:mod:`photoq.queue.reconcile`) compares this with the catalog: a queued job whose
message is in neither place was lost (a Redis restarted without persistence, a purge by someone
else, a failover) and must be sent again. This is the one module that knows kombu's Redis
layout: one list per queue and priority step (``low``, ``low:1`` …), and the ``unacked`` hash
of ``[message, exchange, routing_key]`` that also holds the ETA messages a worker keeps for a
retry's countdown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from photoq.queue.broker import broker_errors

if TYPE_CHECKING:
    from collections.abc import Iterable

    from celery import Celery

#: Messages fetched per round trip: a deep queue is read in pages, never all at once.
PAGE = 1000


def _message_id(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    headers = raw.get("headers") or {}
    task_id = headers.get("id") if isinstance(headers, dict) else None
    return str(task_id) if task_id else None


def _decoded(item: bytes | str) -> Any:
    try:
        return json.loads(item)
    except ValueError:
        return None


@dataclass(frozen=True)
class BrokerHeld:
    #: Message ids waiting in a queue.
    waiting: set[str]
    #: Delivered, not yet acked: message id → when it was delivered (the receiver's clock).
    unacked: dict[str, float]

    def __contains__(self, message_id: str) -> bool:
        return message_id in self.waiting or message_id in self.unacked


def held_messages(app: Celery, queues: Iterable[str]) -> BrokerHeld:
    """Every task id on the broker in ``queues`` (all priority steps) or in ``unacked``."""
    waiting: set[str] = set()
    unacked: dict[str, float] = {}
    with broker_errors(app), app.connection_for_write() as conn:
        channel = conn.default_channel
        client = channel.client
        for queue in queues:
            for key in {channel._q_for_pri(queue, pri) for pri in channel.priority_steps}:
                start = 0
                while True:
                    page = client.lrange(key, start, start + PAGE - 1)
                    waiting.update(filter(None, (_message_id(_decoded(m)) for m in page)))
                    if len(page) < PAGE:
                        break
                    start += PAGE
        delivered = {
            _text(tag): float(when)
            for tag, when in client.zrange(channel.unacked_index_key, 0, -1, withscores=True)
        }
        cursor = 0
        while True:
            cursor, entries = client.hscan(channel.unacked_key, cursor, count=PAGE)
            for tag, item in entries.items():
                entry = _decoded(item)
                message_id = _message_id(entry[0]) if isinstance(entry, list) and entry else None
                if message_id:
                    unacked[message_id] = delivered.get(_text(tag), 0.0)
            if not cursor:
                break
    return BrokerHeld(waiting, unacked)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
