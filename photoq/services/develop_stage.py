"""The develop stages of ``photoq run``: apply a preset to the picks, then export them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from photoq.catalog.culling import CullingRepository
from photoq.catalog.jobs import JobRepository
from photoq.catalog.photos import PhotoRepository
from photoq.catalog.presets import PresetRepository
from photoq.errors import UsageError
from photoq.pipeline.export import check_template, get_exporter
from photoq.pipeline.export.atomic import temp_name_for
from photoq.queue.dispatch import new_job, submit
from photoq.queue.priority import Priority
from photoq.queue.routing import APPLY_PRESET, EXPORT_PHOTO
from photoq.services.waiting import Progress, wait_for

if TYPE_CHECKING:
    from photoq.services.runtime import Runtime


@dataclass(frozen=True)
class PresetChoice:
    """``auto`` (the context engine's recommendation) or a stored preset's name and version."""

    name: str
    version: int | None = None


@dataclass(frozen=True)
class ExportOptions:
    out: Path
    format: str = "jpeg"
    long_edge: int | None = None
    quality: int = 90
    template: str = "{stem}"
    strip_gps: bool = False
    overwrite: bool = False

    def settings(self) -> dict[str, object]:
        """What decides the exported file (all but ``overwrite``), as a job payload holds it."""
        return {
            "out": str(self.out.resolve()),
            "format": self.format,
            "long_edge": self.long_edge,
            "quality": self.quality,
            "template": self.template,
            "strip_gps": self.strip_gps,
        }

    def check(self) -> None:
        """Refuse bad options before any work starts."""
        get_exporter(self.format)
        check_template(self.template)
        if self.out.exists() and not self.out.is_dir():
            msg = f"{self.out}: is a file; --export needs a folder"
            raise UsageError(msg)
        if not 1 <= self.quality <= 100:
            msg = f"--quality {self.quality}: must be 1–100"
            raise UsageError(msg)


def check_export_folder(rt: Runtime, out: Path, shoot: Path) -> Path:
    """Refuse, before any work, an export folder that would put exports among originals, or
    one photoq cannot write into; returns it resolved (and created).

    Originals are never opened for writing (DESIGN invariant 1), and an export folder inside a
    shoot would be ingested by the next run: the export folder may not be, hold, or lie inside
    the shoot being run or the root of any session in the catalog (paths compared resolved, so
    symbolic links and ``..`` do not hide one). A UsageError (exit 2) in one line otherwise."""
    target = out.resolve()
    roots = {shoot.resolve(), *(Path(r) for r in PhotoRepository(rt.catalog).session_roots())}
    for root in sorted(roots):
        if target == root:
            how = "is the folder of the shoot"
        elif target in root.parents:
            how = "holds the shoot"
        elif root in target.parents:
            how = "lies inside the shoot"
        else:
            continue
        msg = (
            f"--export {out}: the export folder {how} {root}; photoq never writes among "
            "originals: choose a folder outside every shoot"
        )
        raise UsageError(msg)
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = temp_name_for(target / "write-check")
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        msg = f"--export {out}: cannot write into the export folder: {exc.strerror or exc}"
        raise UsageError(msg) from None
    return target


def choose_preset(rt: Runtime, ref: str) -> PresetChoice:
    """``auto``, a known preset name, or a preset file (imported, then used by name)."""
    if ref == "auto":
        return PresetChoice("auto")
    repo = PresetRepository(rt.catalog)
    path = Path(ref)
    if path.suffix.lower() in {".xmp", ".yaml", ".yml", ".json"} and path.is_file():
        from photoq.pipeline.presets import read_preset

        imported = repo.import_preset(read_preset(path))
        return PresetChoice(imported.name, imported.version)
    _, version = repo.get(ref)  # a UsageError listing the known presets if there is none
    return PresetChoice(ref, version)


def apply_presets(
    rt: Runtime, session_id: int, choice: PresetChoice, sidecars: bool, progress: Progress | None
) -> list[int]:
    """One ``apply_preset`` job per pick; returns the job ids (already waited for)."""
    payload = {"preset": choice.name, "version": choice.version, "sidecars": sidecars}
    specs = [
        new_job(
            APPLY_PRESET,
            Priority.MEDIUM,
            rt.settings.max_retries,
            photo_id=pid,
            session_id=session_id,
            payload=payload,
        )
        for pid in CullingRepository(rt.catalog).pick_ids(session_id)
    ]
    ids = submit(rt.app, rt.catalog, specs)
    wait_for(rt, ids, progress, "presets")
    return ids


def export_picks(
    rt: Runtime, session_id: int, options: ExportOptions, progress: Progress | None
) -> list[int]:
    """One ``export_photo`` job per pick not yet exported this way (same folder, format, size,
    quality, template, GPS choice and applied preset); returns the job ids. A pick exported
    before with other settings is exported again — into an existing file only with
    ``overwrite``, else that job fails saying so."""
    picks = CullingRepository(rt.catalog).pick_ids(session_id)
    applied = PhotoRepository(rt.catalog).applied_presets(session_id)
    settings = options.settings()
    # Two exports of a photo are the same export when these settings and its preset are.
    keys = {
        pid: json.dumps({**settings, "preset": applied.get(pid)}, sort_keys=True) for pid in picks
    }
    seq = {pid: n for n, pid in enumerate(picks, 1)}
    done = JobRepository(rt.catalog).succeeded_payload_values(session_id, EXPORT_PHOTO, "key")
    todo = picks if options.overwrite else [pid for pid in picks if (pid, keys[pid]) not in done]
    options.out.mkdir(parents=True, exist_ok=True)
    specs = [
        new_job(
            EXPORT_PHOTO,
            Priority.MEDIUM,
            rt.settings.max_retries,
            photo_id=pid,
            session_id=session_id,
            payload={
                **settings,
                "overwrite": options.overwrite,
                "seq": seq[pid],
                "key": keys[pid],
            },
        )
        for pid in todo
    ]
    ids = submit(rt.app, rt.catalog, specs)
    wait_for(rt, ids, progress, "exporting")
    return ids
