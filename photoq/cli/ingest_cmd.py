"""Registering a shoot: ``photoq ingest``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from photoq.cli.display import shown
from photoq.cli.output import JsonOption, emit_json, err
from photoq.config import get_settings
from photoq.services.ingest import check_folder


def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of the shoot (searched recursively).")],
    as_json: JsonOption = False,
) -> None:
    """Register a folder's photos as a session; re-ingesting adds only what changed."""
    from photoq.services.ingest import ingest as ingest_folder
    from photoq.services.runtime import open_catalog

    check_folder(folder)
    result = ingest_folder(open_catalog(get_settings()), folder, home=get_settings().home)
    if as_json:
        photos = [{"id": p.id, "path": p.path} for p in result.photos]
        emit_json(
            {
                "session_id": result.session_id,
                "root": str(result.root),
                "photos": photos,
                "changed": result.changed_ids,
            }
        )
        return
    err.print(
        f"session {result.session_id}: {len(result.photos)} photos in {shown(result.root)} "
        f"({len(result.changed_ids)} new or changed)"
    )
