"""How fast is photoq's develop + export of a 24 MP JPEG, against the decode + encode floor?

    python bench/export_speed.py [--photos 2] [--repeats 3]

Generates camera-like 24 MP JPEGs (a real corpus photo upscaled, with sensor-like grain and fine
texture, EXIF kept) under bench/out/export_speed/ (never committed), then times per photo, in
the same run and interleaved so machine load hits every row alike (medians):

* **floor** — Pillow decode + JPEG q90 encode of the same file, nothing in between (Pillow's
  default 4:2:0 chroma; a second row encodes 4:4:4, as photoq's exports at q ≥ 90 do, for
  context: the ratios are all to the first);
* **photoq** — photoq's develop decode → ``render`` with a preset that has EVERY control
  active (including a 1° straighten) → photoq's JPEG q90 encoder (4:4:4, as exports at q ≥ 90
  are), into memory;
* **photoq, no angle** — the same preset without the rotation (a plain crop);
* **photoq real path** — what the export task runs: ``decode_for_develop`` at full size →
  ``render`` →
  ``export_image`` as JPEG q90 at full size (sRGB profile and EXIF written, atomic rename);
* **render only** — ``render`` alone on the decoded pixels;
* **libvips** — pyvips decode → resize to photoq's output size → JPEG q90 encode, for scale;
* **…, restart-marker copy** — the floor and the real path again on a copy of the same photo
  written with a restart marker after every block row, as Nikon bodies (the corpus's 36 MP
  files) and photoq's own exports write them: photoq then decodes in bands on every core
  (``photoq/pipeline/decode/jpeg.py``). Its ratio is to its own floor.

photoq spreads its work over the cores OpenCV may use (``cv2 threads``, printed: its own
threaded operations, the develop stages it runs in row bands, the JPEG encode in bands joined at
restart markers); Pillow's floor runs on one core, libvips on all. The ``cpu ms`` column is the
process CPU time per photo, all threads together: the work done, whatever the cores.
``OPENCV_FOR_THREADS_NUM=1 python bench/export_speed.py`` measures photoq on one core.

Every row runs in this one process with glibc's malloc tuned as photoq's worker processes tune
it (``photoq/memory.py``: large blocks reused instead of page-faulted in afresh), the floor
included; ``--no-reuse-memory`` measures without.

Target (issue 6): photoq ≤ 2 × floor.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import camera_like
import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from photoq.memory import reuse_freed_memory  # noqa: E402
from photoq.pipeline import decode as photoq_decode  # noqa: E402
from photoq.pipeline.develop.renderer import render  # noqa: E402
from photoq.pipeline.export.encoders import get_exporter  # noqa: E402
from photoq.pipeline.export.image import export_image  # noqa: E402
from photoq.pipeline.export.jpeg_encode import encode_jpeg  # noqa: E402
from photoq.pipeline.export.template import TemplateFields  # noqa: E402
from photoq.pipeline.metadata.original import original_exif_bytes  # noqa: E402
from photoq.pipeline.presets.model import DevelopSettings  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

OUT = ROOT / "bench" / "out" / "export_speed"
SIZE = camera_like.SIZE

EVERYTHING = DevelopSettings(
    exposure=0.3, contrast=20, highlights=-30, shadows=30, whites=10, blacks=-10,
    incremental_temperature=10, incremental_tint=5, vibrance=20, saturation=10,
    clarity=20, dehaze=15,
    tone_curve=((0, 0), (64, 58), (192, 200), (255, 255)),
    tone_curve_red=((0, 5), (255, 250)), tone_curve_green=((0, 0), (128, 132), (255, 255)),
    tone_curve_blue=((0, 8), (255, 245)),
    hsl_hue=(5, 0, -5, -10, 0, 5, 0, 0), hsl_saturation=(10, -5, 0, 10, 0, 10, 0, 0),
    hsl_luminance=(0, 10, 0, 0, 0, -10, 0, 0),
    convert_to_grayscale=False, vignette=-15, sharpness=30,
    crop_left=0.01, crop_right=0.99, crop_top=0.01, crop_bottom=0.99, crop_angle=1.0,
)  # fmt: skip
NO_ANGLE = replace(EVERYTHING, crop_angle=0.0)


def make_photos(count: int) -> list[Path]:
    return camera_like.make_photos(OUT, count, seed=11)


def restart_marker_copy(path: Path) -> Path:
    """``path`` re-encoded at q95 4:2:0 with a restart marker per block row (made once)."""
    copy = path.with_name(f"{path.stem}_rst.jpg")
    if not copy.exists():
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        copy.write_bytes(encode_jpeg(rgb, quality=95, full_chroma=False, bands=1))
    return copy


def floor(path: Path, subsampling: int = -1) -> None:
    with Image.open(path) as im:
        im.load()
        im.save(io.BytesIO(), format="JPEG", quality=90, subsampling=subsampling)


def photoq(path: Path, settings: DevelopSettings = EVERYTHING) -> None:
    pixels = photoq_decode.decode_for_develop(path, long_edge=1 << 30).pixels
    developed: NDArray[Any] = render(pixels, settings)  # uint8 in, uint8 out
    get_exporter("jpeg").encode(developed, io.BytesIO(), quality=90, icc=None, exif=None)


def photoq_real(path: Path, settings: DevelopSettings = EVERYTHING) -> None:
    pixels = photoq_decode.decode_for_develop(path, long_edge=1 << 30).pixels
    developed: NDArray[Any] = render(pixels, settings)  # uint8 in, uint8 out
    export_image(
        developed,
        OUT / "exported",
        fmt="jpeg",
        long_edge=None,
        quality=90,
        template="{stem}",
        fields=TemplateFields(stem=path.stem),
        exif_bytes=original_exif_bytes(path),
        strip_gps=False,
        overwrite=True,
    )


def vips(path: Path) -> None:
    import pyvips

    image = pyvips.Image.new_from_file(str(path), access="sequential")
    image.resize(0.98).write_to_buffer(".jpg", Q=90)


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--no-reuse-memory",
        action="store_true",
        help="leave glibc's malloc as it is (photoq's workers tune it: photoq/memory.py)",
    )
    args = parser.parse_args()
    tuned = not args.no_reuse_memory and reuse_freed_memory()
    paths = make_photos(args.photos)
    decoded = {p: np.asarray(Image.open(p).convert("RGB")) for p in paths}
    rows: dict[str, Callable[[Path], object]] = {
        "floor: Pillow decode + encode q90": floor,
        "  (same, 4:4:4 chroma as photoq at q >= 90)": lambda p: floor(p, 0),
        "photoq: decode + every control + encode": photoq,
        "photoq, no angle (plain crop)": lambda p: photoq(p, NO_ANGLE),
        "photoq real path: decode + render + export": photoq_real,
        "render only (every control)": lambda p: render(decoded[p], EVERYTHING),
        "render only, no angle": lambda p: render(decoded[p], NO_ANGLE),
    }
    rst = {p: restart_marker_copy(p) for p in paths}
    rows["floor, restart-marker copy"] = lambda p: floor(rst[p])
    rows["photoq real path, restart-marker copy"] = lambda p: photoq_real(rst[p])
    try:
        vips(paths[0])
        rows["libvips: decode + resize + encode q90"] = vips
    except Exception as exc:  # pyvips or its binary missing: report, keep the other rows
        print(f"libvips row skipped: {exc}")
    for fn in rows.values():  # warm-up: imports, first-call costs
        fn(paths[0])
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
    for _ in range(args.repeats):
        for path in paths:
            for name, fn in rows.items():  # interleaved: load drifts hit every row alike
                times[name].append(timed(partial(fn, path)))
    base = statistics.median(wall for wall, _ in times["floor: Pillow decode + encode q90"])
    rst_base = statistics.median(wall for wall, _ in times["floor, restart-marker copy"])
    print(f"{args.photos} photo(s) × {args.repeats} repeats, {SIZE[0]}×{SIZE[1]}, "
          f"cv2 threads {cv2.getNumThreads()}, malloc reuses freed memory: {tuned}")  # fmt: skip
    print(f"{'':44s} {'ms/photo':>9s} {'× floor':>8s} {'cpu ms':>7s}")
    for name, values in times.items():
        ms = statistics.median(wall for wall, _ in values)
        cpu = statistics.median(cpu for _, cpu in values)
        ratio = ms / (rst_base if "restart-marker" in name else base)
        print(f"{name:44s} {ms:9.0f} {ratio:8.2f} {cpu:7.0f}")


if __name__ == "__main__":
    main()
