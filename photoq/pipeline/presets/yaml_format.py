"""photoq's own preset file format (YAML, or the same structure as JSON).

A preset file is a mapping::

    format: photoq-preset/1        # required; the format and its version
    name: vivid                    # required
    version: 1                     # optional (1): bump it when the look changes
    group: photoq                  # optional free text
    settings:                      # optional: only the controls that differ from neutral
      exposure: 0.1                # stops
      contrast: 20                 # −100 … +100, like every slider
      tone_curve: [[0, 0], [64, 56], [192, 200], [255, 255]]
      hsl_saturation: {orange: -10, blue: 15}   # bands not named stay 0
      convert_to_grayscale: false
    unsupported: {}                # optional: settings an import could not render, kept

Setting names and units are those of :class:`~photoq.pipeline.presets.model.DevelopSettings`.
An unknown key is an error (a typo must not silently become "no change"). YAML is read with
:mod:`photoq.pipeline.safe_yaml`, which builds plain data only (no Python objects) and refuses
anchors and aliases (``&a`` / ``*a``), so a tiny file cannot expand into gigabytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import yaml

from photoq.pipeline import safe_yaml
from photoq.pipeline.presets.model import (
    HSL_BANDS,
    SETTING_NAMES,
    BadPreset,
    DevelopSettings,
    Preset,
)

FORMAT = "photoq-preset/1"
MAX_PRESET_BYTES = 1 << 20
TOP_KEYS = frozenset(("format", "name", "version", "group", "uuid", "source", "settings"))
TOP_KEYS |= {"unsupported"}
_BAND_FIELDS = ("hsl_hue", "hsl_saturation", "hsl_luminance")


class PhotoqPresetReader:
    """Reads photoq's own ``.yaml`` / ``.yml`` / ``.json`` presets."""

    name = "photoq"
    suffixes: tuple[str, ...] = (".yaml", ".yml", ".json")

    def sniff(self, prefix: bytes) -> bool:
        return FORMAT.encode() in prefix

    def read(self, data: bytes, filename: str) -> Preset:
        return load_preset(data, filename)


def load_preset(data: bytes | str, filename: str = "preset.yaml") -> Preset:
    """Parse a photoq preset (YAML or JSON); :class:`BadPreset` names the file and the fault."""
    if len(data) > MAX_PRESET_BYTES:
        msg = f"{filename}: preset larger than 1 MiB"
        raise BadPreset(msg)
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        doc = json.loads(text) if filename.endswith(".json") else safe_yaml.load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0]
        msg = f"{filename}: not a readable preset ({reason})"
        raise BadPreset(msg) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        msg = f"{filename}: not a photoq preset (needs 'format: {FORMAT}')"
        raise BadPreset(msg)
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        msg = f"{filename}: unknown key {unknown[0]!r}"
        raise BadPreset(msg)
    name, version = doc.get("name"), doc.get("version", 1)
    if not isinstance(name, str) or not name.strip():
        msg = f"{filename}: 'name' must be a non-empty string"
        raise BadPreset(msg)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        msg = f"{filename}: 'version' must be a positive integer"
        raise BadPreset(msg)
    settings = settings_from_mapping(doc.get("settings") or {}, filename)
    unsupported = doc.get("unsupported") or {}
    if not isinstance(unsupported, dict):
        msg = f"{filename}: 'unsupported' must be a mapping"
        raise BadPreset(msg)
    return Preset(
        name=name.strip(),
        settings=settings,
        version=version,
        source=str(doc.get("source", "photoq")),
        unsupported={str(k): str(v) for k, v in unsupported.items()},
        group=str(doc.get("group", "")),
        uuid=str(doc.get("uuid", "")),
    )


def settings_from_mapping(raw: object, where: str) -> DevelopSettings:
    """:class:`DevelopSettings` from a plain mapping (our file format's ``settings:``)."""
    if not isinstance(raw, Mapping):
        msg = f"{where}: 'settings' must be a mapping"
        raise BadPreset(msg)
    unknown = sorted(set(raw) - SETTING_NAMES)
    if unknown:
        msg = f"{where}: unknown setting {unknown[0]!r}"
        raise BadPreset(msg)
    values: dict[str, Any] = {}
    types = {f.name: f.type for f in fields(DevelopSettings)}
    for key, value in raw.items():
        if key.startswith("tone_curve"):
            values[key] = _curve(value, f"{where}: {key}")
        elif key in _BAND_FIELDS:
            values[key] = _bands(value, f"{where}: {key}")
        elif types[key] == "bool":
            if not isinstance(value, bool):
                msg = f"{where}: {key} must be true or false"
                raise BadPreset(msg)
            values[key] = value
        elif value is None and "None" in str(types[key]):
            values[key] = None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values[key] = float(value)
        else:
            msg = f"{where}: {key} must be a number"
            raise BadPreset(msg)
    settings = DevelopSettings(**values)
    settings.validate(where)
    return settings


def dump_preset(preset: Preset) -> str:
    """The preset as photoq YAML; :func:`load_preset` reads it back to an equal :class:`Preset`."""
    settings: dict[str, object] = {}
    for key, value in preset.settings.changed().items():
        if key.startswith("tone_curve"):
            settings[key] = [[_num(x), _num(y)] for x, y in value]  # type: ignore[attr-defined]
        elif key in _BAND_FIELDS:
            bands = zip(HSL_BANDS, value, strict=True)  # type: ignore[call-overload]
            settings[key] = {band: _num(v) for band, v in bands if v}
        else:
            settings[key] = value if isinstance(value, bool) else _num(value)  # type: ignore[arg-type]
    doc: dict[str, object] = {"format": FORMAT, "name": preset.name, "version": preset.version}
    doc |= {"source": preset.source, "group": preset.group, "uuid": preset.uuid}
    doc |= {"settings": settings, "unsupported": dict(preset.unsupported)}
    header = f"# photoq preset '{preset.name}' (see photoq/pipeline/presets/yaml_format.py)\n"
    body = yaml.dump(
        doc,
        Dumper=safe_yaml.NoAliasDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
    )
    return header + body


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _curve(value: object, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list):
        msg = f"{where} must be a list of [x, y] number pairs"
        raise BadPreset(msg)
    ok = all(
        isinstance(p, list | tuple)
        and len(p) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)
        for p in value
    )
    if not ok:
        msg = f"{where} must be a list of [x, y] number pairs"
        raise BadPreset(msg)
    return tuple((float(p[0]), float(p[1])) for p in value)


def _bands(value: object, where: str) -> tuple[float, ...]:
    if not isinstance(value, Mapping):
        msg = f"{where} must map band names ({', '.join(HSL_BANDS)}) to numbers"
        raise BadPreset(msg)
    unknown = sorted(set(value) - set(HSL_BANDS))
    if unknown:
        msg = f"{where}: unknown band {unknown[0]!r}"
        raise BadPreset(msg)
    out = []
    for band in HSL_BANDS:
        v = value.get(band, 0)
        if isinstance(v, bool) or not isinstance(v, int | float):
            msg = f"{where}: {band} must be a number"
            raise BadPreset(msg)
        out.append(float(v))
    return tuple(out)
