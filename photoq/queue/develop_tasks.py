"""Develop tasks: choose and record a photo's preset (high queue), render and export it (low).

``apply_preset`` is cheap: it resolves the preset (``auto`` takes the one the context engine
recommended, with its blend), records it on the photo and merges its ``crs:`` settings into the
sidecar. ``export_photo`` does the heavy part: decode at the export size, render, encode.
"""

from __future__ import annotations

import errno
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoq.catalog.exports import ExportRepository
from photoq.catalog.photos import DevelopFacts, PhotoRepository
from photoq.catalog.presets import PresetRepository
from photoq.errors import PermanentError, PhotoqError
from photoq.pipeline.decode import decode_for_develop
from photoq.pipeline.develop import absolute_white_balance, render
from photoq.pipeline.export import NotPhotoqExport, TemplateFields, export_image, write_sidecar
from photoq.pipeline.metadata import original_exif_bytes
from photoq.pipeline.presets import crs_from_settings
from photoq.queue import app
from photoq.queue.tracking import TrackedTask

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np

    from photoq.catalog.job_records import Claim
    from photoq.catalog.store import Catalog

AUTO = "auto"
FALLBACK_PRESET = "natural"
#: Decode at full size when the export keeps the original resolution.
FULL_SIZE = 1 << 30
#: File system errors that the same step would hit again: a read-only or forbidden folder, a
#: path that cannot exist. They fail the job at once instead of being retried.
PERMANENT_FS_ERRNOS = frozenset(
    {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.ENAMETOOLONG, errno.EISDIR}
)


class StepFailed(PermanentError):
    """A permanent file system error in one step of a develop job; the message names the step
    and the file."""


@contextmanager
def _step(name: str, verb: str) -> Iterator[None]:
    """Name the step (``develop``, ``export``, ``sidecar``) in any error raised inside, and make
    a permanent file system error (:data:`PERMANENT_FS_ERRNOS`) a :class:`StepFailed`; ``verb``
    says what the step does with files ("reading", "writing")."""
    try:
        yield
    except PhotoqError as exc:
        exc.args = (f"{name} failed: {exc}", *exc.args[1:])
        raise
    except OSError as exc:
        if exc.errno not in PERMANENT_FS_ERRNOS:
            raise  # transient: retried
        where = f" {verb} {exc.filename}" if exc.filename else ""
        msg = f"{name} failed{where}: {exc.strerror or exc}"
        raise StepFailed(msg) from exc


def _facts(catalog: Catalog, claim: Claim) -> DevelopFacts:
    facts = PhotoRepository(catalog).develop_facts(claim.photo_id or -1)
    if facts is None:
        msg = f"photo {claim.photo_id} is no longer in the catalog"
        raise PermanentError(msg)
    return facts


def _resolve(facts: DevelopFacts, ref: str) -> tuple[str, float]:
    """The preset name and blend (0–100) a reference means for this photo."""
    if ref != AUTO:
        return ref, 100.0
    return facts.preset or FALLBACK_PRESET, facts.preset_blend or 100.0


def _apply_preset(catalog: Catalog, claim: Claim) -> dict[str, Any]:
    facts = _facts(catalog, claim)
    name, blend = _resolve(facts, str(claim.payload.get("preset", AUTO)))
    presets = PresetRepository(catalog)
    preset, version = presets.get(name, claim.payload.get("version"))
    if (facts.applied_preset, facts.applied_version) != (name, version):
        presets.record_use(name, version)  # counted once per photo, whatever the retries
    PhotoRepository(catalog).save_analysis(
        facts.id, {"applied_preset": name, "applied_version": version, "applied_blend": blend}
    )
    if claim.payload.get("sidecars"):
        settings = {
            k: v
            for k, v in crs_from_settings(preset.settings.blended(blend / 100)).items()
            if isinstance(v, str | int | float)
        }
        with _step("sidecar", "writing"):
            write_sidecar(
                Path(facts.path),
                rating=facts.sidecar_rating,
                label=None,
                pick=facts.is_pick,
                develop_settings=settings,
            )
    return {"preset": name, "version": version, "blend": blend}


def _export_photo(catalog: Catalog, claim: Claim) -> dict[str, Any]:
    facts = _facts(catalog, claim)
    p = claim.payload
    long_edge = p.get("long_edge")
    fields = TemplateFields(
        stem=Path(facts.path).stem,
        seq=int(p.get("seq", 1)),
        date=facts.captured_at,
        rating=facts.rating,
        context=facts.context,
        preset=facts.applied_preset,
    )
    preset = None
    blend = (facts.applied_blend or 100.0) / 100
    if facts.applied_preset:
        preset, _ = PresetRepository(catalog).get(facts.applied_preset, facts.applied_version)
    wb = absolute_white_balance(preset.settings, blend) if preset else None
    with _step("develop", "reading"):
        decoded = decode_for_develop(
            Path(facts.path), long_edge=long_edge or FULL_SIZE, white_balance=wb
        )
        pixels: np.ndarray[Any, Any] = decoded.pixels
        if preset is not None:
            settings = preset.settings
            if decoded.white_balanced:  # a RAW demosaiced at the preset's own white balance
                settings = replace(settings, temperature=None, tint=None)
            pixels = render(pixels, settings, blend)
        exif_bytes = original_exif_bytes(Path(facts.path))
    with _step("export", "writing"):
        target = export_image(
            pixels,
            Path(p["out"]),
            fmt=p.get("format", "jpeg"),
            long_edge=long_edge,
            quality=int(p.get("quality", 90)),
            template=p.get("template", "{stem}"),
            fields=fields,
            exif_bytes=exif_bytes,
            strip_gps=bool(p.get("strip_gps")),
            overwrite=False,
            may_replace=_may_replace(catalog, claim, overwrite=bool(p.get("overwrite"))),
        )
    ExportRepository(catalog).record(target, photo_id=claim.photo_id, job_id=claim.job_id)
    return {"path": str(target)}


def _may_replace(catalog: Catalog, claim: Claim, *, overwrite: bool) -> Callable[[Path], bool]:
    """Whether an export may replace the file at its target (DESIGN invariant 1): only a file
    the catalog records as a photoq export that still has its recorded size and checksum, and
    then only with ``overwrite`` or when this same job wrote it (an earlier attempt that died
    after its rename). Anything else, an original above all, is never replaced: a retry of a
    job whose first attempt died finds a file it did not write and fails naming it."""
    exports = ExportRepository(catalog)

    def check(target: Path) -> bool:
        record = exports.matching(target)
        if record is None:
            raise NotPhotoqExport(target)
        return overwrite or record.job_id == claim.job_id

    return check


@app.task(bind=True, base=TrackedTask, name="photoq.apply_preset")
def apply_preset_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    """Choose the photo's preset, record it, and write it into the sidecar."""
    return self.run_job(job_id, _apply_preset)


@app.task(bind=True, base=TrackedTask, name="photoq.export_photo")
def export_photo_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    """Render the photo's preset at the export size and write the file atomically."""
    return self.run_job(job_id, _export_photo)
