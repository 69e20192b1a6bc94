"""Photo tasks: a few lines each — load the job's photo, call the pipeline, save, done.

``process_photo`` is the one ``photoq run`` queues for every photo: the whole analysis from a
single decode. ``analyze_exif`` and ``evaluate_quality`` redo one half of it on their own queues
(high and medium) when only that half is wanted.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoq.catalog.analysis_columns import (
    analysis_columns,
    context_columns,
    exif_columns,
    quality_columns,
)
from photoq.catalog.culling import CullingRepository
from photoq.catalog.photos import PhotoFile, PhotoRepository
from photoq.config import get_settings
from photoq.errors import PermanentError
from photoq.pipeline.analysis import ANALYSIS_EDGE, ANALYSIS_VERSION, analyse_photo
from photoq.pipeline.culling import (
    GroupingOptions,
    classify,
    context_facts,
    context_rules,
    decide,
    group_photos,
)
from photoq.pipeline.decode import decode_for_analysis
from photoq.pipeline.export import SidecarError, write_sidecar
from photoq.pipeline.hashes import perceptual_hashes
from photoq.pipeline.metadata import read_exif
from photoq.pipeline.quality import assess_quality
from photoq.queue import app
from photoq.queue.tracking import TrackedTask

if TYPE_CHECKING:
    from photoq.catalog.job_records import Claim
    from photoq.catalog.store import Catalog
    from photoq.pipeline.culling import Decision, PhotoFacts


log = logging.getLogger(__name__)
SIDECAR_ERRORS_KEPT = 20

#: Colour labels in the sidecars: what Lightroom, digiKam and darktable filter on.
PICK_LABEL = "Green"
REJECT_LABEL = "Red"


def _photo(catalog: Catalog, claim: Claim) -> PhotoFile:
    photo = PhotoRepository(catalog).get(claim.photo_id or -1)
    if photo is None:
        msg = f"photo {claim.photo_id} is no longer in the catalog"
        raise PermanentError(msg)
    return photo


def _analyze_exif(catalog: Catalog, claim: Claim) -> dict[str, Any]:
    photo = _photo(catalog, claim)
    path = Path(photo.path)
    record = read_exif(path)
    # Decoding proves the pixels are readable (a truncated file keeps an intact EXIF header)
    # and gives the displayed size after orientation.
    decoded = decode_for_analysis(path, long_edge=ANALYSIS_EDGE)
    size = {"format": decoded.format, "width": decoded.width, "height": decoded.height}
    PhotoRepository(catalog).save_analysis(photo.id, {**size, **exif_columns(record)})
    return size


def _evaluate_quality(catalog: Catalog, claim: Claim) -> dict[str, Any]:
    photo = _photo(catalog, claim)
    decoded = decode_for_analysis(Path(photo.path), long_edge=ANALYSIS_EDGE)
    report = assess_quality(decoded.pixels)
    columns = quality_columns(report, perceptual_hashes(decoded.pixels))
    PhotoRepository(catalog).save_analysis(photo.id, columns)
    return {"score": report.score, "reasons": report.reasons}


def _process_photo(catalog: Catalog, claim: Claim) -> dict[str, Any]:
    photo = _photo(catalog, claim)
    if photo.analysis_version == ANALYSIS_VERSION:
        return {"skipped": "already analysed by this version"}
    analysis = analyse_photo(Path(photo.path), digest=photo.content_hash)
    rules_path = claim.payload.get("rules") or get_settings().context_rules
    context = classify(
        context_facts(analysis), context_rules(Path(rules_path) if rules_path else None)
    )
    columns = {**analysis_columns(analysis, ANALYSIS_VERSION), **context_columns(context)}
    PhotoRepository(catalog).save_analysis(photo.id, columns)
    return {"score": analysis.quality.score, "reasons": analysis.quality.reasons}


@app.task(bind=True, base=TrackedTask, name="photoq.analyze_exif")
def analyze_exif_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    """Read EXIF and check the pixels decode."""
    return self.run_job(job_id, _analyze_exif)


@app.task(bind=True, base=TrackedTask, name="photoq.evaluate_quality")
def evaluate_quality_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    """Score quality and compute perceptual hashes."""
    return self.run_job(job_id, _evaluate_quality)


@app.task(bind=True, base=TrackedTask, name="photoq.process_photo")
def process_photo_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    """The whole analysis of one photo from a single decode."""
    return self.run_job(job_id, _process_photo)


def _group_similar_photos(catalog: Catalog, claim: Claim) -> dict[str, Any]:
    if claim.session_id is None:
        msg = "grouping needs a session"
        raise PermanentError(msg)
    settings = get_settings()
    repo = CullingRepository(catalog)
    facts = repo.facts(claim.session_id)
    options = GroupingOptions(burst_window_s=settings.burst_window)
    groups = group_photos(facts, options)
    decisions = decide(facts, groups, threshold=settings.pick_threshold)
    repo.save(claim.session_id, groups, decisions)
    sidecars = bool(claim.payload.get("sidecars"))
    failures = _write_sidecars(facts, decisions) if sidecars else []
    kept = failures[:SIDECAR_ERRORS_KEPT]
    picks = sum(d.pick for d in decisions)
    return {
        "groups": len(groups),
        "picks": picks,
        "rejects": len(decisions) - picks,
        "sidecars": sidecars,  # whether they were asked for (a re-run writes them if not)
        "sidecar_errors": [f"{path}: {error}" for path, error in kept],
        # The same, structured, and how many there were in all (only the first are kept).
        "sidecar_failures": [{"photo": path, "error": error} for path, error in kept],
        "sidecars_not_written": len(failures),
    }


def _write_sidecars(facts: list[PhotoFacts], decisions: list[Decision]) -> list[tuple[str, str]]:
    """Write every photo's sidecar; a folder that cannot take one (read-only card, NAS share)
    costs that photo its sidecar, not the whole culling. Returns the failures: (photo's path,
    one-line reason)."""
    paths = {f.id: f.path for f in facts}
    errors: list[tuple[str, str]] = []
    for d in decisions:
        try:
            write_sidecar(
                Path(paths[d.photo_id]),
                rating=d.rating if d.pick else -1,
                label=PICK_LABEL if d.pick else REJECT_LABEL,
                pick=d.pick,
                develop_settings=None,
            )
        except (OSError, SidecarError) as exc:
            errors.append((paths[d.photo_id], str(exc)))
    if errors:
        log.warning("%d sidecar(s) not written, first: %s: %s", len(errors), *errors[0])
    return errors


@app.task(bind=True, base=TrackedTask, name="photoq.group_similar_photos")
def group_similar_photos_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    """Group a session's analysed photos, pick the best of each group, rate every photo."""
    return self.run_job(job_id, _group_similar_photos)
