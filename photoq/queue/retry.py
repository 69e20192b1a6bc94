"""Which failures are worth retrying, and how long to wait before the next try."""

from __future__ import annotations

import errno
import random

from celery.exceptions import SoftTimeLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError

from photoq.errors import PermanentError, RetryableError

#: OS errors that say "this input is wrong" rather than "the system hiccuped".
_PERMANENT_ERRNOS = frozenset(
    {
        errno.ENOENT,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENAMETOOLONG,
    }
)


def is_transient(exc: BaseException) -> bool:
    """True when trying the same work again later may succeed."""
    if isinstance(exc, PermanentError):
        return False
    if isinstance(
        exc, RetryableError | RedisConnectionError | RedisTimeoutError | OperationalError
    ):
        return True
    if isinstance(exc, SoftTimeLimitExceeded):
        return False  # an input that takes this long will take it again
    if isinstance(exc, OSError):
        return exc.errno not in _PERMANENT_ERRNOS
    return False


def backoff_delay(
    retry: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``retry`` (0 for the first).

    Exponential with jitter over the whole upper half of the step — 2–4 s, 4–8 s, 8–16 s for a
    2 s base — so retries of a burst of failures spread out instead of stampeding together.
    Never more than ``cap``.
    """
    low = base * (2**retry)
    draw = (rng or random).uniform(low, 2 * low)
    return min(cap, draw)
