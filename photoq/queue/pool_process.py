"""Set-up of each worker pool process, right after it is forked."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init

from photoq.config import get_settings
from photoq.memory import reuse_freed_memory


@worker_process_init.connect
def reuse_memory_in_pool_process(**_: Any) -> None:
    if get_settings().reuse_memory:
        reuse_freed_memory()
