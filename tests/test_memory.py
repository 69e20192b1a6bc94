"""Worker pool processes keep freed memory for reuse (glibc)."""

from __future__ import annotations

import platform

import pytest
from celery.signals import worker_process_init

from photoq.memory import reuse_freed_memory
from photoq.queue.pool_process import reuse_memory_in_pool_process


def test_pool_processes_are_tuned_when_they_start() -> None:
    receivers = [ref() for _, ref in worker_process_init.receivers]
    assert reuse_memory_in_pool_process in receivers


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_accepts_the_tuning() -> None:
    assert reuse_freed_memory() is True
