"""Imports every command module so that each registers its commands on the app."""

from photoq.cli import inspect_cmd, presets_cmd, processes, run_cmd, shoot

__all__ = ["inspect_cmd", "presets_cmd", "processes", "run_cmd", "shoot"]
