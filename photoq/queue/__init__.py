"""The job queue: the only package that imports Celery.

``celery -A photoq.queue worker|inspect|flower`` finds the application here as ``app``.
"""

from __future__ import annotations

from photoq.queue.app import create_app
from photoq.queue.priority import get_priority_for_photo

app = create_app()

__all__ = ["app", "get_priority_for_photo"]
