"""Presets: reading them from files, and the built-in set.

Readers are registered per file type, Pillow-style: each declares the suffixes it owns and a
cheap ``sniff(prefix)`` for files with an unexpected name. Two ship with photoq:

* ``photoq`` — our own YAML/JSON format (:mod:`photoq.pipeline.presets.yaml_format`);
* ``xmp`` — Lightroom / Camera Raw presets and photo sidecars
  (:mod:`photoq.pipeline.presets.xmp_format`).

:func:`read_preset` picks the reader, and every failure is a :class:`BadPreset` (a
:class:`~photoq.errors.PermanentError`) whose one-line message names the file. Built-in presets
are the YAML files in ``photoq/data/presets/``; :func:`builtin_presets` loads them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol

from photoq.pipeline.files import open_regular
from photoq.pipeline.presets.model import BadPreset, DevelopSettings, Preset
from photoq.pipeline.presets.xmp_format import XmpPresetReader
from photoq.pipeline.presets.yaml_format import PhotoqPresetReader, dump_preset, load_preset

__all__ = [
    "BadPreset",
    "DevelopSettings",
    "Preset",
    "PresetReader",
    "builtin_presets",
    "dump_preset",
    "get_builtin",
    "load_preset",
    "parse_preset",
    "read_preset",
    "reader_names",
    "register_reader",
]

MAX_PRESET_FILE = 4 << 20  # the largest reader limit; refuse before reading more
SNIFF_BYTES = 4096


class PresetReader(Protocol):
    """What a preset reader provides: a name, the suffixes it owns, a sniff and a parser."""

    name: str
    suffixes: tuple[str, ...]

    def sniff(self, prefix: bytes) -> bool:
        """Whether a file starting with ``prefix`` looks like this reader's format."""
        ...

    def read(self, data: bytes, filename: str) -> Preset:
        """Parse a whole file; raise :class:`BadPreset` naming ``filename`` on failure."""
        ...


_READERS: list[PresetReader] = [PhotoqPresetReader(), XmpPresetReader()]


def register_reader(reader: PresetReader) -> None:
    """Add a reader (a later registration wins for a suffix both claim)."""
    _READERS.insert(0, reader)


def reader_names() -> list[str]:
    """Names of the registered readers, most recently registered first."""
    return [r.name for r in _READERS]


def parse_preset(data: bytes, filename: str) -> Preset:
    """A preset from file contents; the reader is chosen by suffix, then by sniffing."""
    suffix = Path(filename).suffix.lower()
    prefix = data[:SNIFF_BYTES]
    reader = next((r for r in _READERS if suffix in r.suffixes), None)
    reader = reader or next((r for r in _READERS if r.sniff(prefix)), None)
    if reader is None:
        known = ", ".join(sorted({s for r in _READERS for s in r.suffixes}))
        msg = f"{filename}: not a preset format photoq reads ({known})"
        raise BadPreset(msg)
    return reader.read(data, filename)


def read_preset(path: str | Path) -> Preset:
    """Read a preset file (photoq YAML/JSON or a Lightroom/Camera Raw XMP)."""
    path = Path(path)
    try:
        with open_regular(path) as fh:  # a FIFO or device is refused, never waited on
            data = fh.read(MAX_PRESET_FILE + 1)
    except OSError as exc:
        msg = f"{path}: cannot read preset ({exc.strerror or exc})"
        raise BadPreset(msg) from exc
    if len(data) > MAX_PRESET_FILE:
        msg = f"{path}: preset file larger than {MAX_PRESET_FILE >> 20} MiB"
        raise BadPreset(msg)
    if not data.strip():
        msg = f"{path}: empty preset file"
        raise BadPreset(msg)
    return parse_preset(data, str(path))


@cache
def builtin_presets() -> dict[str, Preset]:
    """The presets shipped in ``photoq/data/presets/*.yaml``, by name."""
    folder = resources.files("photoq") / "data" / "presets"
    out: dict[str, Preset] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            preset = load_preset(entry.read_bytes(), f"photoq/data/presets/{entry.name}")
            out[preset.name] = preset
    return out


def get_builtin(name: str) -> Preset:
    """A built-in preset by name; :class:`BadPreset` lists the names when there is none."""
    presets = builtin_presets()
    if name not in presets:
        msg = f"no built-in preset {name!r} (have: {', '.join(presets)})"
        raise BadPreset(msg)
    return presets[name]
