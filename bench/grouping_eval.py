"""Evaluate photoq's grouping against ground truth, with imagededup's PHash as a peer.

    python bench/grouping_eval.py [--quick]

Tables printed:
1. truth_groups.json (../shared/corpus): pairwise precision / recall / F1 per group kind.
   Truth per kind:
   - exact = the byte-identical groups;
   - burst = the bracket groups cut wherever two capture-time neighbours are more than the
     default burst window (``BURST_WINDOW_S``, 2 s) apart, read here from EXIF DateTimeOriginal +
     SubSecTimeOriginal with Pillow (not through photoq). The issue defines a burst as frames
     shot in quick succession within that window; most curated brackets are not that — they
     span up to 39 s (flash_a has gaps of 5, 29, 2 and 3 s, ambient_a ends 8.6 s after its 4th
     frame, flash_b 19 s, flash_c 9 and 35 s, the two align sets 3.6–17 s between frames) —
     so scoring burst against whole brackets counted pairs a burst must *not* join as misses.
     Singletons left by the cut are dropped.
   - bracket = the whole bracket groups, scored against photoq's burst and similar groups merged
     (connected components), counting only pairs of bracket files: "did photoq put the frames
     of one bracket together at all".
     Informational: the issue has no bracket kind; brackets belong to burst (the parts inside
     the window) and to similar (all of it, as before).
   - similar = every curated group (brackets and orientation variants) plus the exact groups,
     with files whose decoded pixels are identical joined (measured here, not hand-edited).
   - "any" = all our groups merged vs all truth groups merged.
   Until 2026-11-29 burst was scored against the whole brackets (burst F1 0.432 then).
2. The generated burst set (bench/out/burst_set/, see bench/burst_set.py), truth = the bursts.
3. Grouping time for synthetic records at 5k, 10k, 20k and 50k photos (``--quick``: up to 20k).

The peer is imagededup's PHash with its default ``max_distance_threshold=10``; its duplicate
lists are turned into groups by connected components. imagededup imports torchvision for its CNN
method at import time, which needs a CUDA torch build here; the PHash code does not use it, so
this script stubs torchvision out before importing imagededup (see ``_import_peer``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import shutil
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from burst_set import CORPUS, generate_burst_set, synthetic_records

from photoq.pipeline.analysis import analyse_photo
from photoq.pipeline.culling.facts import facts_from_analysis
from photoq.pipeline.culling.grouping import BURST_WINDOW_S, group_photos

OUT = Path(__file__).resolve().parent / "out"
Pairs = set[tuple[str, str]]


def pairs_of(groups: list[list[str]]) -> Pairs:
    # Each pair in name order: combinations keep the order of the sorted group.
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


def prf(predicted: Pairs, truth: Pairs) -> tuple[float, float, float]:
    hit = len(predicted & truth)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def components(groups: Any) -> list[list[str]]:
    """Connected components of groups given as a {key: [linked, ...]} map or a list of lists."""
    items = groups.items() if isinstance(groups, dict) else ((g[0], g[1:]) for g in groups)
    edges = list(items)
    parent = {k: k for k, _ in edges}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, bs in edges:
        for b in bs:
            parent.setdefault(b, b)
            parent[find(a)] = find(b)
    out: dict[str, list[str]] = {}
    for k in parent:
        out.setdefault(find(k), []).append(k)
    return [sorted(v) for v in out.values() if len(v) > 1]


def _import_peer() -> Any:
    class _Anything:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def __getattr__(self, name: str) -> _Anything:
            return _Anything()

        def __call__(self, *args: object, **kwargs: object) -> _Anything:
            return _Anything()

    class _Stub(types.ModuleType):
        def __getattr__(self, name: str) -> _Anything:
            if name.startswith("__"):
                raise AttributeError(name)
            return _Anything()

    try:
        import torchvision  # noqa: F401
    except Exception:
        for name in (
            "torchvision",
            "torchvision.models",
            "torchvision.transforms",
            "torchvision.models.vision_transformer",
        ):
            sys.modules[name] = _Stub(name)
    try:
        from imagededup.methods import PHash
    except ImportError as exc:
        print(f"peer skipped: imagededup not installable/importable here ({exc})")
        return None
    return PHash(verbose=False)


def peer_groups(peer: Any, files: dict[str, Path]) -> list[list[str]]:
    encodings = {key: peer.encode_image(image_file=str(path)) for key, path in files.items()}
    encodings = {k: v for k, v in encodings.items() if v}
    dupes = peer.find_duplicates(encoding_map=encodings, max_distance_threshold=10)
    return components(dupes)


def our_groups(files: dict[str, Path]) -> tuple[dict[str, list[list[str]]], float]:
    keys = sorted(files)
    facts = [
        facts_from_analysis(i, str(files[k]), analyse_photo(files[k], faces=False))
        for i, k in enumerate(keys)
    ]
    started = time.perf_counter()
    groups = group_photos(facts)
    elapsed = time.perf_counter() - started
    by_kind: dict[str, list[list[str]]] = {"exact": [], "burst": [], "similar": []}
    for g in groups:
        by_kind[str(g.kind)].append([keys[i] for i in g.members])
    by_kind["bracket"] = components(by_kind["burst"] + by_kind["similar"])
    by_kind["any"] = components([m for gs in by_kind.values() for m in gs])
    return by_kind, elapsed


def _pixels(path: Path) -> bytes:
    with Image.open(path) as src:
        return np.asarray(ImageOps.exif_transpose(src).convert("RGB")).tobytes()


def _capture_seconds(path: Path) -> float | None:
    """EXIF DateTimeOriginal + SubSecTimeOriginal as seconds, read with Pillow (not photoq)."""
    with Image.open(path) as src:
        sub = src.getexif().get_ifd(0x8769)
    stamp = sub.get(0x9003)
    if not stamp:
        return None
    when = dt.datetime.strptime(str(stamp).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    fraction = str(sub.get(0x9291, "")).strip("\x00 ")
    seconds = (when - dt.datetime(1970, 1, 1)).total_seconds()
    return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)


def split_by_time(groups: list[list[str]], window_s: float) -> list[list[str]]:
    """Each group cut where capture-time neighbours are more than ``window_s`` apart."""
    out = []
    for group in groups:
        timed = sorted((t, m) for m in group if (t := _capture_seconds(CORPUS / m)) is not None)
        run: list[str] = []
        last = None
        for t, m in timed:
            if last is not None and t - last > window_s:
                out.append(run)
                run = []
            run.append(m)
            last = t
        out.append(run)
    return [sorted(g) for g in out if len(g) > 1]


def truth_sets() -> tuple[dict[str, Path], dict[str, list[list[str]]]]:
    data = json.loads((CORPUS / "truth_groups.json").read_text())
    curated = [g["members"] for g in data["curated_groups"]]
    brackets = [g["members"] for g in data["curated_groups"] if g["kind"] == "bracket"]
    bursts = split_by_time(brackets, BURST_WINDOW_S)
    exact = [g["members"] for g in data["exact_duplicate_groups"]]
    files = {m: CORPUS / m for g in curated + exact for m in g}
    same_pixels: dict[bytes, list[str]] = {}
    for key in sorted(files):
        same_pixels.setdefault(_pixels(files[key]), []).append(key)
    joined = [g for g in same_pixels.values() if len(g) > 1]
    similar = components(curated + exact + joined)
    return files, {
        "exact": exact,
        "burst": bursts,
        "bracket": brackets,
        "similar": similar,
        "any": similar,
    }


def table(title: str, rows: list[tuple[str, str, tuple[float, float, float]]]) -> None:
    print(f"\n### {title}\n\n| method | kind | precision | recall | F1 |\n|---|---|---|---|---|")
    for method, kind, (p, r, f) in rows:
        print(f"| {method} | {kind} | {p:.3f} | {r:.3f} | {f:.3f} |")


def evaluate(
    name: str,
    files: dict[str, Path],
    truth: dict[str, list[list[str]]],
    peer: Any,
    report: dict[str, Any],
) -> None:
    ours, elapsed = our_groups(files)

    def score(predicted: list[list[str]], kind: str) -> tuple[float, float, float]:
        pairs = pairs_of(predicted)
        if kind == "bracket":
            # Only "are a bracket's frames together": pairs outside the brackets do not count.
            inside = {m for g in truth[kind] for m in g}
            pairs = {p for p in pairs if p[0] in inside and p[1] in inside}
        return prf(pairs, pairs_of(truth[kind]))

    rows = [("photoq", kind, score(ours[kind], kind)) for kind in truth]
    if peer is not None:
        theirs = peer_groups(peer, files)
        rows += [("imagededup PHash", kind, score(theirs, kind)) for kind in truth]
    table(f"{name} ({len(files)} files; photoq grouping {1000 * elapsed:.1f} ms)", rows)
    report[name] = [
        {"method": m, "kind": k, "precision": p, "recall": r, "f1": f} for m, k, (p, r, f) in rows
    ]


def timing(sizes: list[int], report: dict[str, Any]) -> None:
    print("\n### Grouping time, synthetic records (best of 3)\n\n| photos | seconds | groups |")
    print("|---|---|---|")
    report["timing"] = []
    for n in sizes:
        records = synthetic_records(n)
        best, count = float("inf"), 0
        for _ in range(3):
            started = time.perf_counter()
            count = len(group_photos(records))
            best = min(best, time.perf_counter() - started)
        print(f"| {n:,} | {best:.2f} | {count:,} |")
        report["timing"].append({"photos": n, "seconds": best, "groups": count})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="timing up to 20k only")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    peer = _import_peer()
    report: dict[str, Any] = {}
    files, truth = truth_sets()
    evaluate("truth_groups.json", files, truth, peer, report)
    burst_dir = OUT / "burst_set"
    shutil.rmtree(burst_dir, ignore_errors=True)
    made = generate_burst_set(burst_dir)
    burst_files = {p.name: p for p in sorted(burst_dir.glob("*.jpg"))}
    burst_truth = {"burst": made["bursts"], "similar": made["bursts"], "any": made["bursts"]}
    evaluate("generated burst set", burst_files, burst_truth, peer, report)
    timing([5_000, 10_000, 20_000] + ([] if args.quick else [50_000]), report)
    (OUT / "grouping_eval.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
