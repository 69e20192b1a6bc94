"""Worker and beat log lines never show a password: every handler Celery sets up gets a filter
that masks ``scheme://user:password@`` in the message and in a logged traceback."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import after_setup_logger, after_setup_task_logger

from photoq.errors import redact


class RedactSecrets(logging.Filter):
    """Format the record's message (and traceback) once, with URL passwords masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def add_redaction(logger: logging.Logger) -> None:
    """Mask secrets on every handler of ``logger`` (once each)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())


def redact_celery_logs(logger: logging.Logger, **_: Any) -> None:
    add_redaction(logger)


after_setup_logger.connect(redact_celery_logs, weak=False)
after_setup_task_logger.connect(redact_celery_logs, weak=False)
