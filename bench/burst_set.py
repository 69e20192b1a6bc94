"""Test data for bench/grouping_eval.py: a generated burst set on disk and synthetic records.

Burst set: real corpus photos turned into bursts (small shifts, crops, exposure steps, JPEG
re-encodes; capture times 0.1–1 s apart, written as EXIF DateTimeOriginal + SubSecTimeOriginal
with the camera's make, model and serial), plus unrelated real photos shot 1–5 s after a burst
by the same camera as distractors. Every second burst is shot by a second camera at the same
time as the one before it, so two cameras firing together must not be merged.

Synthetic records: PhotoFacts with hashes and timestamps only, shaped like a shoot (bursts of
near-identical hashes, singles, a few exact copies), for timing grouping at 5k–50k photos.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from photoq.pipeline.culling.facts import PhotoFacts

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
LABELLED = SHARED / "labelled"
RAWIO = CORPUS / "hdkai+Raw-IO" / "test" / "media"
BASES = [
    *sorted((LABELLED / "blur" / "sharp").glob("*.[jJ][pP]*[gG]")),
    CORPUS / "recurser+exif-orientation-examples" / "Landscape_1.jpg",
    CORPUS / "recurser+exif-orientation-examples" / "Portrait_1.jpg",
    *(RAWIO / "group" / f"{n}.jpg" for n in (1, 8, 11, 14, 17, 19)),
    RAWIO / "align" / "1.jpg",
    RAWIO / "align_rotation" / "2.jpg",
]
DISTRACTORS = [
    *sorted((LABELLED / "exposure" / "underexposed").glob("*"))[:4],
    *sorted((LABELLED / "exposure" / "overexposed").glob("*"))[:2],
    *sorted((LABELLED / "eyes" / "open").glob("*"))[:4],
    RAWIO / "group" / "13.jpg",
    RAWIO / "group" / "18.jpg",
    RAWIO / "align" / "4.jpg",
    RAWIO / "group" / "12.jpg",
]
EDGE = 1600
_CAMERAS = (("Benchcam", "A1", "1001"), ("Benchcam", "B2", "2002"))


def _load(path: Path) -> Image.Image:
    with Image.open(path) as src:
        image = ImageOps.exif_transpose(src).convert("RGB")
    image.thumbnail((EDGE, EDGE))
    return image


def _variant(image: Image.Image, rng: random.Random) -> Image.Image:
    """A burst frame: the camera moved a little, framed a little tighter, exposed differently."""
    w, h = image.size
    keep = rng.uniform(0.92, 1.0)
    cw, ch = int(w * keep), int(h * keep)
    shift_x, shift_y = int(w * rng.uniform(-0.02, 0.02)), int(h * rng.uniform(-0.02, 0.02))
    left = min(max(0, (w - cw) // 2 + shift_x), w - cw)
    top = min(max(0, (h - ch) // 2 + shift_y), h - ch)
    frame = image.crop((left, top, left + cw, top + ch))
    gain = 2.0 ** rng.choice((-0.7, -0.3, 0.0, 0.3, 0.7))
    pixels = np.clip(np.asarray(frame, dtype=np.float32) * gain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def _save(image: Image.Image, path: Path, when: dt.datetime, camera: int, quality: int) -> None:
    make, model, serial = _CAMERAS[camera]
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = make, model
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")
    sub[0x9291] = f"{when.microsecond // 1000:03d}"
    sub[0xA431] = serial
    image.save(path, "JPEG", quality=quality, exif=exif)


def generate_burst_set(out: Path, seed: int = 7) -> dict[str, Any]:
    """Write the set into ``out``; returns {"bursts": [[file, ...], ...], "singles": [...]}."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    bases = [p for p in BASES if p.is_file()]
    distractors = [p for p in DISTRACTORS if p.is_file()]
    start = dt.datetime(2024, 6, 1, 10, 0, 0)
    bursts: list[list[str]] = []
    singles: list[str] = []
    for n, base in enumerate(bases):
        camera = n % 2
        # Camera B fires at the same moment as camera A did for the previous scene.
        t = start + dt.timedelta(seconds=60 * (n // 2), milliseconds=rng.randint(0, 300))
        image = _load(base)
        names = []
        for k in range(rng.randint(3, 6)):
            name = f"s{n:02d}_f{k}.jpg"
            _save(_variant(image, rng), out / name, t, camera, rng.randint(80, 95))
            names.append(name)
            t += dt.timedelta(milliseconds=rng.randint(100, 1000))
        bursts.append(names)
        if n < len(distractors):
            t += dt.timedelta(milliseconds=rng.randint(1000, 5000))
            name = f"s{n:02d}_distractor.jpg"
            _save(_load(distractors[n]), out / name, t, camera, 90)
            singles.append(name)
    return {"bursts": bursts, "singles": singles}


def _flip(code: int, bits: int, rng: random.Random) -> int:
    for b in rng.sample(range(64), bits):
        code ^= 1 << b
    return code


def synthetic_records(n: int, seed: int = 1) -> list[PhotoFacts]:
    """``n`` records shaped like a long shoot by three cameras: bursts, singles, a few copies."""
    rng = random.Random(seed)
    out: list[PhotoFacts] = []
    t = dt.datetime(2024, 1, 1, 8, 0, 0)
    while len(out) < n:
        camera = f"cam {rng.randint(1, 3)}"
        base_p, base_d = rng.getrandbits(64), rng.getrandbits(64)
        for _ in range(min(rng.choice((1, 1, 1, 2, 3, 5, 8)), n - len(out))):
            pid = len(out)
            content = f"{rng.getrandbits(128):032x}"
            if out and rng.random() < 0.01:
                content = out[-1].content_hash  # a copy made by the import tool
            out.append(
                PhotoFacts(
                    id=pid,
                    path=f"/shoot/IMG_{pid:05d}.JPG",
                    content_hash=content,
                    phash=f"{_flip(base_p, rng.randint(0, 6), rng):016x}",
                    dhash=f"{_flip(base_d, rng.randint(0, 6), rng):016x}",
                    captured_at=t,
                    camera=camera,
                    score=round(rng.uniform(1, 5), 2),
                    sharpness=rng.random(),
                    pixels=24_000_000,
                )
            )
            t += dt.timedelta(milliseconds=rng.randint(100, 900))
        t += dt.timedelta(seconds=rng.randint(3, 120))
    return out
