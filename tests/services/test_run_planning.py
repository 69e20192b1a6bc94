"""Which photos a re-run queues again."""

from __future__ import annotations

import pytest

from photoq.catalog.photos import PhotoOutcome
from photoq.pipeline.analysis import ANALYSIS_VERSION
from photoq.services.run import _needs_work

OLD = ANALYSIS_VERSION - 1


@pytest.mark.parametrize(
    ("status", "version", "changed", "expected"),
    [
        (None, None, False, True),  # never queued
        ("succeeded", ANALYSIS_VERSION, False, False),  # done by this version: skipped
        ("succeeded", OLD, False, True),  # done by an older analysis: redone
        ("succeeded", ANALYSIS_VERSION, True, True),  # bytes changed
        ("dead", None, False, False),  # permanent error, same file: not retried
        ("dead", None, True, True),  # the file was replaced: tried again
        ("cancelled", None, False, True),
    ],
)
def test_needs_work(status: str | None, version: int | None, changed: bool, expected: bool) -> None:
    outcome = PhotoOutcome(1, "/x.jpg", status, None, version)
    assert _needs_work(outcome, {1} if changed else set()) is expected
