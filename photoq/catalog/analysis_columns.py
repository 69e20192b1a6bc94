"""How pipeline results land in the ``photos`` table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from photoq.pipeline.analysis import PhotoAnalysis
    from photoq.pipeline.culling import ContextResult
    from photoq.pipeline.hashes import PerceptualHashes
    from photoq.pipeline.metadata import ExifRecord
    from photoq.pipeline.quality import QualityReport


def exif_columns(record: ExifRecord) -> dict[str, Any]:
    """Queryable EXIF fields, plus the whole record as JSON."""
    captured = record.captured_at()
    return {
        "exif": record.to_dict(),
        "make": record.make,
        "model": record.model,
        "lens": record.lens,
        # Camera clock time with sub-seconds; the offset is kept beside it, not applied.
        "captured_at": captured.replace(tzinfo=None) if captured else None,
        "capture_offset": record.utc_offset,
        "exposure_time": record.exposure_time,
        "f_number": record.f_number,
        "iso": record.iso,
        "focal_length": record.focal_length,
        "orientation": record.orientation,
        "gps_lat": record.gps_lat,
        "gps_lon": record.gps_lon,
    }


def quality_columns(report: QualityReport, hashes: PerceptualHashes) -> dict[str, Any]:
    return {
        "quality_score": report.score,
        "quality": report.to_dict(),
        "dhash": hashes.dhash,
        "phash": hashes.phash,
    }


def analysis_columns(analysis: PhotoAnalysis, version: int) -> dict[str, Any]:
    """Every column a full analysis fills, stamped with the analysis version."""
    return {
        "format": analysis.format,
        "width": analysis.width,
        "height": analysis.height,
        **exif_columns(analysis.exif),
        **quality_columns(analysis.quality, analysis.hashes),
        "analysis_version": version,
    }


def context_columns(context: ContextResult) -> dict[str, Any]:
    """The shooting context, the preset it recommends, its blend and every context's score."""
    return {
        "context": context.context,
        "context_scores": context.to_dict()["scores"],
        "preset": context.preset,
        "preset_blend": context.blend,
    }
