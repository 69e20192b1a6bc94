"""Imports every command module so that each registers its commands on the app."""

from photoq.cli import inspect_cmd, jobs_cmd, presets_cmd, processes, queue_cmd, run_cmd, shoot

__all__ = ["inspect_cmd", "jobs_cmd", "presets_cmd", "processes", "queue_cmd", "run_cmd", "shoot"]
