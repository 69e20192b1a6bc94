"""Photo tasks: a few lines each — load the job's photo, call the pipeline, save, done.

``process_photo`` is the one ``photoq run`` queues for every photo: the whole analysis from a
single decode. ``analyze_exif`` and ``evaluate_quality`` redo one half of it on their own queues
(high and medium) when only that half is wanted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoq.catalog.analysis_columns import analysis_columns, exif_columns, quality_columns
from photoq.catalog.photos import PhotoFile, PhotoRepository
from photoq.errors import PermanentError
from photoq.pipeline.analysis import ANALYSIS_EDGE, ANALYSIS_VERSION, analyse_photo
from photoq.pipeline.decode import decode_for_analysis
from photoq.pipeline.exif import read_exif
from photoq.pipeline.perceptual import perceptual_hashes
from photoq.pipeline.quality import assess_quality
from photoq.queue import app
from photoq.queue.tracking import TrackedTask

if TYPE_CHECKING:
    from photoq.catalog.job_records import Claim
    from photoq.catalog.store import Catalog


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
    columns = analysis_columns(analysis, ANALYSIS_VERSION)
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
