"""How often photoq's EXIF reader agrees with ExifTool on the real-photo corpus.

Run ``python bench/exif_accuracy.py [--all]``. For every (file, field) pair where ExifTool (in
``shared/corpus/truth_exif.json``) has a value, photoq's value is compared: strings exactly, dates
on their ``YYYY:MM:DD HH:MM:SS`` part, numbers with a small relative tolerance (ExifTool's JSON
rounds to 10 significant digits). Prints a table per format group, ms/file, and the
disagreements for review (``--all`` lists those of every group, not only the first 60).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from photoq.errors import PermanentError  # noqa: E402
from photoq.pipeline.metadata.exif import ExifRecord, read_exif  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"

# ExifTool field → (ExifRecord attribute, kind of comparison)
FIELDS: dict[str, tuple[str, str]] = {
    "Make": ("make", "str"),
    "Model": ("model", "str"),
    "LensModel": ("lens", "str"),
    "DateTimeOriginal": ("capture_time", "date"),
    "SubSecTimeOriginal": ("subsec", "str"),
    "OffsetTimeOriginal": ("utc_offset", "str"),
    "ExposureTime": ("exposure_time", "float"),
    "FNumber": ("f_number", "float"),
    "ISO": ("iso", "float"),
    "FocalLength": ("focal_length", "float"),
    "FocalLengthIn35mmFormat": ("focal_length_35mm", "float"),
    "FlashFired": ("flash_fired", "exact"),
    "Orientation": ("orientation", "exact"),
    "ImageWidth": ("width", "exact"),
    "ImageHeight": ("height", "exact"),
    "GPSLatitude": ("gps_lat", "gps"),
    "GPSLongitude": ("gps_lon", "gps"),
    "Software": ("software", "str"),
}

GROUPS = {
    "JPEG": "JPEG",
    "JPS": "JPEG",
    "TIFF": "TIFF",
    "HEIC": "HEIC",
    "HEIF": "HEIC",
    "AVIF": "HEIC",
    "DNG": "DNG",
    **{t: "other RAW" for t in ("CR2", "CR3", "CRW", "NEF", "RAF", "RW2", "X3F", "MRW", "IIQ")},
    "RAW": "other RAW",
}
ORDER = ["JPEG", "TIFF", "HEIC", "DNG", "other RAW", "other"]


def agrees(kind: str, ours: object, truth: object) -> bool:
    if ours is None:
        return False
    if kind == "date":
        return hasattr(ours, "strftime") and ours.strftime("%Y:%m:%d %H:%M:%S") == str(truth)[:19]
    if kind == "str":
        return str(ours).strip() == str(truth).strip()
    if kind in ("float", "gps"):
        if not isinstance(ours, int | float) or not isinstance(truth, int | float):
            return False
        return math.isclose(float(ours), float(truth), rel_tol=1e-4, abs_tol=1e-6)
    return ours == truth


def main() -> None:
    truth: dict[str, dict[str, object]] = json.loads((CORPUS / "truth_exif.json").read_text())
    pairs: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    misses: list[tuple[str, str, str, object, object]] = []
    timings: dict[str, list[float]] = defaultdict(list)
    for rel, expected in sorted(truth.items()):
        group = GROUPS.get(str(expected.get("FileType")), "other")
        start = time.perf_counter()
        try:
            record: ExifRecord | None = read_exif(CORPUS / rel)
        except PermanentError as exc:
            record, error = None, f"{type(exc).__name__}: {exc}"
        timings[group].append((time.perf_counter() - start) * 1000)
        for field, (attr, kind) in FIELDS.items():
            if field not in expected:
                continue
            ours = getattr(record, attr) if record else None
            ok = agrees(kind, ours, expected[field])
            pairs[group][field][0] += 1
            pairs[group][field][1] += ok
            if not ok:
                shown = ours if record else error
                misses.append((group, rel, field, shown, expected[field]))
    print(f"{'group':10} {'field':24} {'pairs':>5} {'agree':>5} {'%':>6}")
    for group in ORDER:
        total = agree = 0
        for field in FIELDS:
            n, hits = pairs[group].get(field, [0, 0])
            if n:
                print(f"{group:10} {field:24} {n:5} {hits:5} {100 * hits / n:6.1f}")
                total, agree = total + n, agree + hits
        if total:
            times = timings[group]
            print(
                f"{group:10} {'== overall':24} {total:5} {agree:5} {100 * agree / total:6.1f}"
                f"   ({len(times)} files, median {statistics.median(times):.2f} ms/file,"
                f" max {max(times):.1f} ms)\n"
            )
    everything = [t for ts in timings.values() for t in ts]
    print(
        f"all files: {len(everything)}, median {statistics.median(everything):.2f} ms/file, "
        f"mean {statistics.mean(everything):.2f} ms/file"
    )
    limit = None if "--all" in sys.argv else 60
    print(f"\n{len(misses)} disagreements (group, file, field, photoq, ExifTool):")
    for group, rel, field, ours, theirs in misses[:limit]:
        print(f"  [{group}] {rel}  {field}: photoq={ours!r}  exiftool={theirs!r}")


if __name__ == "__main__":
    main()
