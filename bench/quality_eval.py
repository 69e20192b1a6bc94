"""Evaluate photoq's quality score against two baselines on real photos.

    python bench/quality_eval.py [--quick]

Tables printed:
1. degradations of real sharp photos (Gaussian blur, motion blur, ±EV, sensor noise, JPEG q10):
   share of pairs where the original outranks its degraded copy;
2. labelled/blur: sharp vs defocused / motion-blurred (pair accuracy per scene, ROC AUC);
3. labelled/eyes: open vs closed, judged on the detected face (accuracy, AUC, by face size);
4. labelled/exposure: share flagged under/overexposed;
5. cost per stage of assess_quality.

Baselines: global variance of the Laplacian, and BRISQUE from the ``brisque`` package (model
shipped in the wheel; scored on a ≤768 px copy). Both are "higher is better" here (BRISQUE is
negated). Ties count as the original NOT outranking its copy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photoq.pipeline.quality.score import assess_quality

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
LABELLED = SHARED / "labelled"
EDGE = 1536

Scorer = Callable[[np.ndarray], float]


def load(path: Path, edge: int = EDGE) -> np.ndarray:
    with Image.open(path) as src:
        im = ImageOps.exif_transpose(src).convert("RGB")
        im.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        return np.asarray(im)


def originals() -> list[Path]:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    paths = sorted((LABELLED / "blur" / "sharp").iterdir())
    paths += [
        CORPUS / "recurser+exif-orientation-examples" / n
        for n in ("Landscape_1.jpg", "Portrait_6.jpg")
    ]
    raw_io = CORPUS / "hdkai+Raw-IO" / "test" / "media"
    paths += [
        raw_io / "align" / "1.jpg",
        raw_io / "group" / "1.jpg",
        raw_io / "group" / "9.jpg",
        raw_io / "group" / "14.jpg",
        raw_io / "constrain" / "straight.jpg",
    ]
    heic = CORPUS / "bigcat88+pillow_heif" / "tests" / "images" / "heif_other"
    paths += [heic / "cat.hif", heic / "pug.heic"]
    return [p for p in paths if p.is_file()]


# --- degradations -------------------------------------------------------------------------
def gaussian(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma)


def motion(img: np.ndarray, length: int, angle: float) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = np.asarray(cv2.warpAffine(kernel, rot, (length, length)), np.float32)
    return cv2.filter2D(img, -1, kernel / kernel.sum())


def ev(img: np.ndarray, stops: float) -> np.ndarray:
    linear = (img.astype(np.float32) / 255.0) ** 2.2 * (2.0**stops)
    clipped: npt.NDArray[np.float32] = np.clip(linear, 0, 1)  # numpy types it as Any
    return (clipped ** (1 / 2.2) * 255.0 + 0.5).astype(np.uint8)


def sensor_noise(img: np.ndarray, gain: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    x = img.astype(np.float32)
    # Shot noise grows with signal, plus read noise (numpy types a ufunc's result as Any).
    sigma: npt.NDArray[np.float32] = np.sqrt(gain * x + 4.0)
    return np.clip(x + rng.standard_normal(x.shape).astype(np.float32) * sigma, 0, 255).astype(
        np.uint8
    )


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert decoded is not None
    return decoded[:, :, ::-1].copy()


DEGRADATIONS: dict[str, list[Callable[[np.ndarray], np.ndarray]]] = {
    "gaussian blur σ1–4": [partial(gaussian, sigma=s) for s in (1.0, 2.0, 4.0)],
    "motion blur 5–25 px": [
        partial(motion, length=n, angle=a) for n, a in ((5, 0), (15, 45), (25, 90))
    ],
    "+1.5 / +2.5 EV": [partial(ev, stops=e) for e in (1.5, 2.5)],
    "−1.5 / −2.5 EV": [partial(ev, stops=e) for e in (-1.5, -2.5)],
    "sensor noise": [partial(sensor_noise, gain=g) for g in (0.5, 2.0)],
    "JPEG q10": [lambda i: jpeg(i, 10)],
}


# --- scorers --------------------------------------------------------------------------------
def photoq_score(img: np.ndarray) -> float:
    return assess_quality(img).score


def laplacian_var(img: np.ndarray) -> float:
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def make_brisque() -> Scorer | None:
    try:
        from brisque import BRISQUE
    except ImportError:
        return None

    class Fixed(BRISQUE):  # type: ignore[misc]
        # brisque 0.2.0 keeps 1-element arrays as features, which numpy 2 refuses to float().
        def scale_features(self, features: Iterable[npt.ArrayLike]) -> Any:
            return super().scale_features(np.array([float(np.ravel(f)[0]) for f in features]))

    model = Fixed(url=False)

    def score(img: np.ndarray) -> float:
        # BRISQUE's model was trained on ≈768×512 images and costs 2 s at 1,536 px: score a
        # copy with a long edge of at most 768 px.
        h, w = img.shape[:2]
        if max(h, w) > 768:
            f = 768 / max(h, w)
            img = cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
        return -float(model.score(img))

    return score


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    p, n = np.asarray(pos), np.asarray(neg)
    return float((p[:, None] > n[None, :]).mean() + 0.5 * (p[:, None] == n[None, :]).mean())


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n## {title}\n")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer photos and eye images")
    args = parser.parse_args()
    scorers: dict[str, Scorer] = {"photoq": photoq_score, "laplacian var": laplacian_var}
    brisque = make_brisque()
    if brisque is not None:
        scorers["BRISQUE"] = brisque
    names = list(scorers)

    # 1. degradations
    photos = originals()[: 5 if args.quick else None]
    wins = {(k, s): [0, 0] for k in DEGRADATIONS for s in names}
    for path in photos:
        img = load(path)
        base = {s: f(img) for s, f in scorers.items()}
        for kind, fns in DEGRADATIONS.items():
            for fn in fns:
                copy = fn(img)
                for s, f in scorers.items():
                    wins[kind, s][0] += int(base[s] > f(copy))
                    wins[kind, s][1] += 1
    rows = [
        [k]
        + [
            f"{100 * wins[k, s][0] / wins[k, s][1]:.0f} % ({wins[k, s][0]}/{wins[k, s][1]})"
            for s in names
        ]
        for k in DEGRADATIONS
    ]
    table(f"Original outranks degraded copy ({len(photos)} photos)", ["degradation", *names], rows)

    # 2. labelled blur
    labels = json.loads((LABELLED / "blur" / "labels.json").read_text())
    scenes = labels["scenes"]
    rows = []
    per: dict[str, dict[str, list[float]]] = {
        s: {"sharp": [], "defocused_blurred": [], "motion_blurred": []} for s in names
    }
    pairs = {(s, k): 0 for s in names for k in ("defocused_blurred", "motion_blurred")}
    for files in scenes.values():
        imgs = {
            Path(f).parts[0]: load(LABELLED / "blur" / f)
            for f in (files.values() if isinstance(files, dict) else files)
        }
        for s, f in scorers.items():
            vals = {k: f(v) for k, v in imgs.items()}
            for k, v in vals.items():
                per[s][k].append(v)
            for k in ("defocused_blurred", "motion_blurred"):
                pairs[s, k] += int(vals["sharp"] > vals[k])
    n = len(scenes)
    for s in names:
        blurred_all = per[s]["defocused_blurred"] + per[s]["motion_blurred"]
        rows.append(
            [
                s,
                f"{pairs[s, 'defocused_blurred']}/{n}",
                f"{pairs[s, 'motion_blurred']}/{n}",
                f"{auc(per[s]['sharp'], blurred_all):.3f}",
            ]
        )
    table(
        "labelled/blur: sharp outranks its blurred shots",
        ["scorer", "vs defocused", "vs motion", "ROC AUC"],
        rows,
    )

    # 3. eyes
    eye_items = json.loads((LABELLED / "eyes" / "labels.json").read_text())["items"]
    keys = sorted(eye_items)
    if args.quick:
        keys = keys[:: max(1, len(keys) // 200)]
    bins = [(0, 48), (48, 96), (96, 160), (160, 100000)]
    judged: dict[tuple[int, int], list[tuple[bool, float]]] = {b: [] for b in bins}
    undetected = {"open": 0, "closed": 0}
    unknown = 0
    base_vals: dict[str, dict[str, list[float]]] = {
        s: {"open": [], "closed": []} for s in names if s != "photoq"
    }
    detector = ""
    for key in keys:
        label = eye_items[key]["label"]
        with Image.open(LABELLED / "eyes" / key) as im:
            img = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        for s in base_vals:
            base_vals[s][label].append(
                scorers[s](img) if min(img.shape[:2]) >= 16 else float("nan")
            )
        if min(img.shape[:2]) < 128:
            # assess_quality refuses tiny frames; pad so the face detector still sees the face.
            pad = (128 - min(img.shape[:2])) // 2 + 1
            img = np.asarray(
                cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE), np.uint8
            )
        report = assess_quality(img)
        detector = report.face_detector
        if not report.faces:
            undetected[label] += 1
            continue
        face = report.faces[0]
        if face.eye_openness is None:
            unknown += 1
            continue
        for b in bins:
            if b[0] <= face.w < b[1]:
                judged[b].append((label == "open", face.eye_openness))
    rows = []
    everything = [x for b in bins for x in judged[b]]
    for name, group in [*((f"{b[0]}–{b[1]} px", judged[b]) for b in bins), ("all", everything)]:
        opens = [v for o, v in group if o]
        closed = [v for o, v in group if not o]
        from photoq.pipeline.quality.eyes import CLOSED_BELOW

        acc = np.mean([(v >= CLOSED_BELOW) == o for o, v in group]) if group else float("nan")
        rows.append(
            [
                name,
                str(len(opens)),
                str(len(closed)),
                f"{100 * acc:.1f} %",
                f"{auc(opens, closed):.3f}",
            ]
        )
    table(
        f"labelled/eyes: open vs closed on the detected face ({detector})",
        ["face width", "open", "closed", "accuracy", "ROC AUC"],
        rows,
    )
    print(
        f"\nfaces not detected: open {undetected['open']}, closed {undetected['closed']}; "
        f"eyes unknown: {unknown}; images: {len(keys)}"
    )
    for s, frames in base_vals.items():
        o = [v for v in frames["open"] if v == v]
        c = [v for v in frames["closed"] if v == v]
        print(
            f"baseline {s} on whole frames (framing confound, not eyes): "
            f"AUC open>closed {auc(o, c):.3f}"
        )

    # 4. exposure
    exp_items = json.loads((LABELLED / "exposure" / "labels.json").read_text())["items"]
    rows = []
    for label in ("underexposed", "overexposed"):
        paths = [k for k, v in exp_items.items() if v["label"] == label]
        flagged = sum(
            label in assess_quality(load(LABELLED / "exposure" / k)).reasons for k in paths
        )
        rows.append([label, f"{flagged}/{len(paths)}", "n/a (no exposure verdict)", "n/a"])
    table("labelled/exposure: share flagged", ["set", "photoq", "laplacian var", "BRISQUE"], rows)

    # 5. timings
    img = load(photos[0])
    assess_quality(img)
    stages: dict[str, list[float]] = {}
    for _ in range(15):
        for k, v in assess_quality(img).timings_ms.items():
            stages.setdefault(k, []).append(v)
    nofaces: list[float] = []
    for _ in range(15):
        t = time.perf_counter()
        assess_quality(img, faces=False)
        nofaces.append(1000 * (time.perf_counter() - t))
    rows = [[k, f"{statistics.median(v):.1f}"] for k, v in stages.items()]
    rows.append(["total, faces=False", f"{statistics.median(nofaces):.1f}"])
    for s in ("laplacian var", "BRISQUE"):
        if s in scorers:
            t = time.perf_counter()
            scorers[s](img)
            rows.append([f"baseline {s}", f"{1000 * (time.perf_counter() - t):.1f}"])
    table(f"ms per stage, {img.shape[1]}×{img.shape[0]} (median of 15)", ["stage", "ms"], rows)


if __name__ == "__main__":
    main()
