"""How fast is photoq's full analysis of a 24 MP JPEG, against the bare decode floor?

    python bench/analysis_speed.py [--photos 6] [--repeats 3]

Generates realistic 24 MP JPEGs (a real corpus photo upscaled, with sensor-like noise and fine
texture so they carry camera-like entropy, ~10 MB each, with EXIF) under bench/out/, then, in the
same run, times per photo (medians):

* the floor: the fastest reduced-size decode of the same file (Pillow draft at 1/8, OpenCV
  IMREAD_REDUCED_COLOR_8; the faster of the two);
* photoq's stages: EXIF, decode at analysis size, quality (with and without faces), hashes;
* photoq's full analysis as ``process_photo_task`` runs it (content hash known from ingest);
* the same analysis of a copy of each photo that carries an MPF "Large Thumbnail" (1,920 px), as
  most current camera bodies write, so the decoder can use the preview instead of the main image;
* throughput of the full analysis on 2 processes.

The machine may be shared: the floor and each full analysis are timed back to back on the same
photo in the same round, and "× floor" of those rows is the median of the per-pair ratios, so a
busy neighbour slows both sides of each ratio alike.
"""

from __future__ import annotations

import argparse
import io
import statistics
import struct
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import camera_like
import cv2
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from photoq.pipeline.analysis import ANALYSIS_EDGE, analyse_photo  # noqa: E402
from photoq.pipeline.decode.images import decode_for_analysis  # noqa: E402
from photoq.pipeline.hashes.content import content_hash  # noqa: E402
from photoq.pipeline.hashes.perceptual import perceptual_hashes  # noqa: E402
from photoq.pipeline.metadata.exif import read_exif  # noqa: E402
from photoq.pipeline.quality.score import assess_quality  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

OUT = ROOT / "bench" / "out" / "analysis_speed"
PREVIEW = (1920, 1280)


def make_photos(count: int) -> list[Path]:
    return camera_like.make_photos(OUT, count, seed=7)


def _mark_large_thumbnail(data: bytearray) -> None:
    """Pillow writes MP type 0 (undefined) for appended frames; cameras write 0x010002."""
    start = data.find(b"MPF\x00") + 4
    endian = "<" if data[start : start + 2] == b"II" else ">"
    ifd = start + struct.unpack_from(endian + "L", data, start + 4)[0]
    for i in range(struct.unpack_from(endian + "H", data, ifd)[0]):
        tag, _kind, _count, value = struct.unpack_from(endian + "HHLL", data, ifd + 2 + 12 * i)
        if tag == 0xB002:
            struct.pack_into(endian + "L", data, start + value + 16, 0x010002)
            return
    msg = "no MP entry list in the MPF segment"
    raise ValueError(msg)


def make_mpf_copies(paths: list[Path]) -> list[Path]:
    """The same photos with a camera-style 1,920 px MPF preview (JPEG q90) behind the main image."""
    out = []
    for path in paths:
        mpf = path.with_name(path.stem + "_mpf.jpg")
        out.append(mpf)
        if mpf.exists():
            continue
        with Image.open(path) as src:
            exif = src.getexif()
            main = src.convert("RGB")
        preview = main.resize(PREVIEW, Image.Resampling.LANCZOS)
        # Cameras encode the main image and the preview with their own settings; one quality
        # for both is what Pillow's MPO writer allows. Main image pixels are re-encoded at 95.
        buf = io.BytesIO()
        main.save(buf, "MPO", save_all=True, append_images=[preview], quality=95, exif=exif)
        data = bytearray(buf.getvalue())
        _mark_large_thumbnail(data)
        mpf.write_bytes(bytes(data))
    return out


def timed(fn: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def draft_eighth(path: Path) -> None:
    with Image.open(path) as im:
        im.draft("RGB", (im.width // 8, im.height // 8))
        im.load()


def cv2_eighth(path: Path) -> None:
    cv2.imread(str(path), cv2.IMREAD_REDUCED_COLOR_8)


def median_ms(
    fn: Callable[..., object], paths: list[Path], repeats: int, **kwargs: object
) -> float:
    return statistics.median(timed(fn, p, **kwargs) for _ in range(repeats) for p in paths)


def paired(
    paths: list[Path], subjects: list[Path], repeats: int, **kwargs: object
) -> tuple[float, float]:
    """Median ms of ``analyse_photo`` on each subject and median ratio to its photo's floor."""
    times, ratios = [], []
    for _ in range(repeats):
        for path, subject in zip(paths, subjects, strict=True):
            floor = timed(draft_eighth, path)
            ms = timed(analyse_photo, subject, digest="known", **kwargs)
            times.append(ms)
            ratios.append(ms / floor)
    return statistics.median(times), statistics.median(ratios)


def stage_times(paths: list[Path], repeats: int) -> dict[str, float]:
    decoded = [decode_for_analysis(p, long_edge=ANALYSIS_EDGE) for p in paths]
    pix = [d.pixels for d in decoded]
    return {
        "exif": median_ms(read_exif, paths, repeats),
        "decode (analysis size)": median_ms(
            decode_for_analysis, paths, repeats, long_edge=ANALYSIS_EDGE
        ),
        "quality, faces on": statistics.median(
            timed(assess_quality, p) for _ in range(repeats) for p in pix
        ),
        "quality, faces off": statistics.median(
            timed(assess_quality, p, faces=False) for _ in range(repeats) for p in pix
        ),
        "perceptual hashes": statistics.median(
            timed(perceptual_hashes, p) for _ in range(repeats) for p in pix
        ),
        "content hash (at ingest)": median_ms(content_hash, paths, repeats),
    }


def _analyse(path: Path) -> None:
    analyse_photo(path, digest="known")


def throughput(paths: list[Path], rounds: int) -> float:
    work = paths * rounds
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_analyse, paths))  # warm both processes
        start = time.perf_counter()
        list(pool.map(_analyse, work))
        return len(work) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    paths = make_photos(args.photos)
    mpf = make_mpf_copies(paths)
    mb = statistics.mean(p.stat().st_size for p in paths) / 1e6
    for p in paths + mpf:  # warm the page cache and the lazy imports
        analyse_photo(p, digest="known")
    floor_pillow = median_ms(draft_eighth, paths, args.repeats)
    floor_cv2 = median_ms(cv2_eighth, paths, args.repeats)
    floor = min(floor_pillow, floor_cv2)
    stages = stage_times(paths, args.repeats)
    full = [
        ("photoq full analysis", paired(paths, paths, args.repeats)),
        ("photoq full analysis, faces off", paired(paths, paths, args.repeats, faces=False)),
        ("  same, MPF-preview copies", paired(paths, mpf, args.repeats)),
        ("  same, MPF copies, faces off", paired(paths, mpf, args.repeats, faces=False)),
    ]
    source = decode_for_analysis(mpf[0], long_edge=ANALYSIS_EDGE).source
    rate = throughput(paths, args.repeats)

    print(
        f"{len(paths)} photos, 6000×4000, {mb:.1f} MB each; medians of {args.repeats} rounds; "
        f"analysis edge {ANALYSIS_EDGE} px\n"
    )
    print(f"{'what':<34}{'ms/photo':>10}{'× floor':>9}")
    rows = [("floor: Pillow draft 1/8", floor_pillow), ("floor: OpenCV REDUCED_8", floor_cv2)]
    rows += [(f"  {name}", ms) for name, ms in stages.items()]
    for name, ms in rows:
        print(f"{name:<34}{ms:>10.1f}{ms / floor:>9.2f}")
    print("paired with the Pillow floor on the same photo, same round (median of ratios):")
    for name, (ms, ratio) in full:
        print(f"{name:<34}{ms:>10.1f}{ratio:>9.2f}")
    print(f"(MPF copies decoded as: {source})")
    print(
        f"\nthroughput, full analysis on 2 processes: {rate:.1f} photos/s "
        f"({rate * 60:.0f} per minute)"
    )


if __name__ == "__main__":
    main()
