"""The dead-job webhook's body: valid JSON any parser reads, even when the error quotes a file
name that is not UTF-8."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import httpx
import pytest

from photoq.catalog.job_records import JobInfo
from photoq.queue.notify import dead_job_event, post_dead


def dead_job(error: str) -> JobInfo:
    return JobInfo(
        id=7,
        kind="export_photo",
        status="dead",
        queue="low",
        priority=1,
        attempts=1,
        max_retries=3,
        photo_id=3,
        session_id=1,
        error_type="OutputExists",
        error_message=error,
        worker="w1@host",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        queued_at=None,
        started_at=None,
        finished_at=datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
        result=None,
    )


def test_event_of_a_non_utf8_name_is_valid_unicode_json() -> None:
    name = os.fsdecode(b"/out/caf\xe9.jpg")
    event = dead_job_event(dead_job(f"{name} already exists"))
    assert event["error"] == "/out/caf\\xe9.jpg already exists"
    body = httpx.Request("POST", "http://127.0.0.1:9/hook", json=event).read()
    assert json.loads(body.decode("utf-8"))["error"] == "/out/caf\\xe9.jpg already exists"
    assert dead_job_event(dead_job("plain é"))["error"] == "plain é"


def test_notify_posts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        return httpx.Response(204)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    monkeypatch.setattr(httpx, "post", client.post)
    assert post_dead(dead_job(os.fsdecode(b"bad \xff name")), "http://hook.invalid/x", 5.0)
    assert json.loads(seen[0])["error"] == "bad \\xff name"
