"""Priorities: 0–9 for users, **9 highest**; Redis pops 0 first, and only this module knows it.

Redis serves message priority before queue order (a top-priority message in ``low`` beats a
mid-priority one in ``high``), so a task's tier cannot be left to queue order alone: a job's
priority folds its photo's priority with the tier of its task type (:func:`job_priority`), and
:func:`to_broker_priority` is the single translation into the broker's numbers.
"""

from __future__ import annotations

from enum import IntEnum

from photoq.queue.routing import QueueName

MIN_PRIORITY = 0
MAX_PRIORITY = 9
#: Broker priority steps: one per user-facing level.
PRIORITY_STEPS: list[int] = list(range(MAX_PRIORITY + 1))

#: Score thresholds from the seed: ≥ 4.5 is a keeper worth doing first, below 3.5 can wait.
HIGH_SCORE = 4.5
MEDIUM_SCORE = 3.5


class Priority(IntEnum):
    LOW = 1
    MEDIUM = 5
    HIGH = 9


#: Tasks of the high tier go one level above their photo's priority, low-tier ones one below.
TIER_OFFSET: dict[str, int] = {
    QueueName.HIGH: 1,
    QueueName.MEDIUM: 0,
    QueueName.LOW: -1,
    QueueName.GPU: 0,
}


def clamp(priority: int) -> int:
    return max(MIN_PRIORITY, min(MAX_PRIORITY, priority))


def get_priority_for_photo(ai_score: float | None, user_requested: bool = False) -> int:
    """A photo's priority from its AI score (1–5).

    User-requested or score ≥ 4.5 → 9; 3.5–4.49 → 5; below → 1; unknown → 5.
    """
    if user_requested:
        return Priority.HIGH
    if ai_score is None:
        return Priority.MEDIUM
    if ai_score >= HIGH_SCORE:
        return Priority.HIGH
    if ai_score >= MEDIUM_SCORE:
        return Priority.MEDIUM
    return Priority.LOW


def job_priority(base: int, queue: str, *, user_requested: bool = False) -> int:
    """The priority a job runs at: ``base`` shifted by its task's tier, 0–9.

    User-requested work is not shifted down: it stays at the top whatever its tier.
    """
    if user_requested:
        return MAX_PRIORITY
    return clamp(base + TIER_OFFSET.get(queue, 0))


def to_broker_priority(priority: int) -> int:
    """Translate a user-facing priority (9 highest) into Redis's order (0 runs first)."""
    return MAX_PRIORITY - clamp(priority)


#: Messages sent without an explicit priority run as MEDIUM, not in the top bucket.
DEFAULT_BROKER_PRIORITY = to_broker_priority(Priority.MEDIUM)
