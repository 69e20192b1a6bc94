"""What photoq itself wrote, so that ingest never takes its own outputs for photos of a shoot:
the export folders of earlier runs (the ``out`` of every export job still in the catalog) and,
the exported files themselves (the ``exports`` table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from photoq.catalog.models import ExportRow, Job

if TYPE_CHECKING:
    from photoq.catalog.store import Catalog


@dataclass(frozen=True)
class PhotoqOutputs:
    #: Export folders of earlier runs, as recorded (absolute).
    folders: frozenset[str]
    #: Files photoq exported, as recorded (absolute).
    files: frozenset[str]


def photoq_outputs(catalog: Catalog, export_kind: str) -> PhotoqOutputs:
    """The export folders named by ``export_kind`` jobs, and the files in the ``exports``
    table."""
    folders: set[str] = set()
    files: set[str] = set()
    with catalog.transaction(read_only=True) as db:
        for payload in db.scalars(select(Job.payload).where(Job.kind == export_kind)):
            if isinstance(payload, dict) and payload.get("out"):
                folders.add(str(payload["out"]))
        files.update(str(p) for p in db.scalars(select(ExportRow.path)))
    return PhotoqOutputs(frozenset(folders), frozenset(files))
