"""Presets in the catalog: named, versioned, counted; the built-ins are seeded on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import select, update

from photoq.catalog.models import PresetRow, utcnow
from photoq.errors import UsageError
from photoq.pipeline import safe_yaml
from photoq.pipeline.presets import builtin_presets, dump_preset, load_preset

if TYPE_CHECKING:
    from photoq.catalog.store import Catalog
    from photoq.pipeline.presets import Preset


@dataclass(frozen=True)
class PresetInfo:
    """A preset as ``photoq presets list/show`` reports it."""

    name: str
    version: int
    source: str
    versions: list[int]
    usage_count: int
    unsupported: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    name: str
    version: int
    created: bool
    unsupported: dict[str, str]


class PresetRepository:
    """Reads and writes ``presets``; a preset is addressed by name and, optionally, version."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def ensure_builtins(self) -> None:
        """Store the shipped presets the first time (and any a newer photoq adds)."""
        with self.catalog.transaction() as db:
            known = set(db.execute(select(PresetRow.name, PresetRow.version)).tuples())
            for preset in builtin_presets().values():
                if (preset.name, preset.version) not in known:
                    db.add(self._row(preset, preset.version))

    @staticmethod
    def _row(preset: Preset, version: int) -> PresetRow:
        return PresetRow(
            name=preset.name,
            version=version,
            source=preset.source,
            document=dump_preset(preset),
            unsupported=dict(preset.unsupported),
            usage_count=0,
            created_at=utcnow(),
        )

    def import_preset(self, preset: Preset) -> ImportResult:
        """Store ``preset``; a changed preset under a known name becomes its next version, the
        old versions are kept, and re-importing the same settings changes nothing."""
        self.ensure_builtins()
        document = dump_preset(preset)
        with self.catalog.transaction() as db:
            rows = list(
                db.scalars(
                    select(PresetRow)
                    .where(PresetRow.name == preset.name)
                    .order_by(PresetRow.version)
                )
            )
            same = [r for r in rows if _settings_of(r.document) == _settings_of(document)]
            if same:
                return ImportResult(preset.name, same[-1].version, False, dict(preset.unsupported))
            version = rows[-1].version + 1 if rows else 1
            db.add(self._row(preset, version))
        return ImportResult(preset.name, version, True, dict(preset.unsupported))

    def get(self, name: str, version: int | None = None) -> tuple[Preset, int]:
        """The preset ``name`` (its newest version unless one is given).

        Tasks call this for every photo, so it only reads; the built-ins are seeded on a miss.
        """
        stmt = select(PresetRow).where(PresetRow.name == name)
        if version is not None:
            stmt = stmt.where(PresetRow.version == version)
        stmt = stmt.order_by(PresetRow.version.desc()).limit(1)
        with self.catalog.transaction(read_only=True) as db:
            row = db.scalars(stmt).first()
        if row is None:
            self.ensure_builtins()
            with self.catalog.transaction(read_only=True) as db:
                row = db.scalars(stmt).first()
                names = sorted(set(db.scalars(select(PresetRow.name))))
            if row is None:
                wanted = f"{name} version {version}" if version is not None else name
                msg = f"no preset {wanted!r}; known presets: {', '.join(names)}"
                raise UsageError(msg)
        return load_preset(row.document.encode(), f"{name}.yaml"), row.version

    def info(self, name: str) -> PresetInfo:
        """The newest version of ``name`` with its history and total usage."""
        infos = self._infos(name)
        if not infos:
            self.get(name)  # raises the error that lists the known presets
        return infos[0]

    def summaries(self) -> list[PresetInfo]:
        return self._infos(None)

    def _infos(self, name: str | None) -> list[PresetInfo]:
        """One summary per preset name (all of them, or just ``name``), from one query."""
        self.ensure_builtins()
        stmt = select(PresetRow).order_by(PresetRow.name, PresetRow.version)
        if name is not None:
            stmt = stmt.where(PresetRow.name == name)
        by_name: dict[str, list[PresetRow]] = {}
        with self.catalog.transaction(read_only=True) as db:
            for row in db.scalars(stmt):
                by_name.setdefault(row.name, []).append(row)
        return [_info(rows) for rows in by_name.values()]

    def record_use(self, name: str, version: int, count: int = 1) -> None:
        with self.catalog.transaction() as db:
            db.execute(
                update(PresetRow)
                .where(PresetRow.name == name, PresetRow.version == version)
                .values(usage_count=PresetRow.usage_count + count)
            )


def _info(rows: list[PresetRow]) -> PresetInfo:
    latest = rows[-1]  # rows come sorted by version
    return PresetInfo(
        name=latest.name,
        version=latest.version,
        source=latest.source,
        versions=[r.version for r in rows],
        usage_count=sum(r.usage_count for r in rows),
        unsupported=dict(latest.unsupported or {}),
        settings=_settings_of(latest.document),
    )


def _settings_of(document: str) -> dict[str, Any]:
    try:  # no alias expansion, bounded: a catalog written before these limits may hold a bomb
        data = safe_yaml.load(document) or {}
    except yaml.YAMLError as exc:
        return {"(unreadable)": str(exc).splitlines()[0]}
    if not isinstance(data, dict):
        return {}
    settings = data.get("settings") or {}
    return dict(settings) if isinstance(settings, dict) else {}
