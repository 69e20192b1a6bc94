"""Presets: develop settings as photoq models them, read from and written to Lightroom/Camera Raw
XMP and photoq's own YAML, and the built-in library.

Owns the settings model, the ``crs:`` mapping and the preset readers and writers; uses nothing
else of the pipeline.
"""

from photoq.pipeline.presets.crs import crs_from_settings
from photoq.pipeline.presets.library import builtin_presets, dump_preset, load_preset, read_preset
from photoq.pipeline.presets.model import BadPreset, DevelopSettings, Preset
from photoq.pipeline.presets.xmp_writer import dump_xmp_preset

__all__ = [
    "BadPreset",
    "DevelopSettings",
    "Preset",
    "builtin_presets",
    "crs_from_settings",
    "dump_preset",
    "dump_xmp_preset",
    "load_preset",
    "read_preset",
]
