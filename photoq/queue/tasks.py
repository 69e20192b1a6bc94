"""Photo tasks: a few lines each — load the job's photo, call the pipeline, save, done."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoq.catalog.photos import PhotoFile, PhotoRepository
from photoq.errors import PermanentError
from photoq.pipeline.decode import decode_for_analysis
from photoq.pipeline.exif import read_exif
from photoq.queue import app
from photoq.queue.tracking import TrackedTask

if TYPE_CHECKING:
    from photoq.catalog.jobs import Claim
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
    # Decoding proves the pixels are readable (a truncated file has an intact EXIF header)
    # and gives the displayed size after orientation.
    decoded = decode_for_analysis(path)
    captured = record.captured_at()
    PhotoRepository(catalog).save_analysis(
        photo.id,
        {
            "format": decoded.format,
            "width": decoded.width,
            "height": decoded.height,
            "exif": record.to_dict(),
            "make": record.make,
            "model": record.model,
            "lens": record.lens,
            "captured_at": captured.replace(tzinfo=None) if captured else None,
            "capture_offset": record.utc_offset,
            "exposure_time": record.exposure_time,
            "f_number": record.f_number,
            "iso": record.iso,
            "focal_length": record.focal_length,
            "orientation": record.orientation,
            "gps_lat": record.gps_lat,
            "gps_lon": record.gps_lon,
        },
    )
    return {"format": decoded.format, "width": decoded.width, "height": decoded.height}


@app.task(bind=True, base=TrackedTask, name="photoq.analyze_exif")
def analyze_exif_task(self: TrackedTask, job_id: int) -> dict[str, Any] | None:
    """Read EXIF and verify the pixels decode (EXIF analysis runs on the high queue)."""
    return self.run_job(job_id, _analyze_exif)
