"""Registering a shoot: ``photoq ingest``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from photoq.cli.display import shown
from photoq.cli.output import JsonOption, emit_json, err
from photoq.config import get_settings
from photoq.services.ingest import check_folder, skipped_line

IgnoreOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        metavar="GLOB",
        help="Leave out files and folders matching GLOB (repeatable; added to PHOTOQ_IGNORE): "
        "a GLOB without / is matched against names at any depth ('*.tmp', 'rejects'), one "
        "with / against paths relative to the shoot ('day1/raw/*'). Hidden and OS files "
        "(.DS_Store, ._*, Thumbs.db, desktop.ini, @eaDir …) and photoq's own export "
        "folders are always left out.",
    ),
]


def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of the shoot (searched recursively).")],
    as_json: JsonOption = False,
    ignore: IgnoreOption = None,
) -> None:
    """Register a folder's photos as a session; re-ingesting adds only what changed."""
    from photoq.services.ingest import ingest as ingest_folder
    from photoq.services.runtime import open_catalog

    check_folder(folder)
    settings = get_settings()
    result = ingest_folder(
        open_catalog(settings),
        folder,
        home=settings.home,
        ignore=(*settings.ignore_globs, *(ignore or ())),
    )
    if as_json:
        photos = [{"id": p.id, "path": p.path} for p in result.photos]
        emit_json(
            {
                "session_id": result.session_id,
                "root": str(result.root),
                "photos": photos,
                "changed": result.changed_ids,
                "skipped": result.skipped,
            }
        )
        return
    skipped = skipped_line(result.skipped)
    err.print(
        f"session {result.session_id}: {len(result.photos)} photos in {shown(result.root)} "
        f"({len(result.changed_ids)} new or changed{'; ' + skipped if skipped else ''})"
    )
