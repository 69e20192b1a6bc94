"""The ``photoq`` command line: thin wrappers over services."""

from photoq.cli.app import app, main

__all__ = ["app", "main"]
