"""Exact, burst and similar groups on real corpus files; time windows, cameras, determinism."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageOps

from photoq.pipeline.analysis import analyse_photo
from photoq.pipeline.culling.facts import PhotoFacts, facts_from_analysis
from photoq.pipeline.culling.grouping import Group, GroupKind, group_photos
from photoq.pipeline.hashes.index import dihedral_codes, hex_codes, near_pairs
from photoq.pipeline.hashes.perceptual import hamming, perceptual_hashes

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
RAWIO = "hdkai+Raw-IO/test/media/group"
ORIENT = "recurser+exif-orientation-examples"


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    path = CORPUS / "truth_groups.json"
    if not path.is_file():
        pytest.skip("shared corpus not present")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture(scope="module")
def corpus_facts(truth: dict[str, Any]) -> dict[str, PhotoFacts]:
    """Facts of the truth files (align sets left out: 36 MP decodes are slow), analysed once."""
    names = [m for g in truth["curated_groups"] for m in g["members"] if "/align" not in m]
    names += [m for g in truth["exact_duplicate_groups"] for m in g["members"]]
    return {
        name: facts_from_analysis(i, name, analyse_photo(CORPUS / name, faces=False))
        for i, name in enumerate(names)
    }


def _named(groups: list[Group], facts: dict[str, PhotoFacts], kind: GroupKind) -> list[set[str]]:
    by_id = {f.id: name for name, f in facts.items()}
    return [{by_id[i] for i in g.members} for g in groups if g.kind is kind]


def test_exact_duplicates_are_the_byte_identical_files(
    truth: dict[str, Any], corpus_facts: dict[str, PhotoFacts]
) -> None:
    exact = _named(group_photos(corpus_facts.values()), corpus_facts, GroupKind.EXACT)
    assert exact == [set(g["members"]) for g in truth["exact_duplicate_groups"]]


def test_bursts_on_real_brackets_split_by_time(corpus_facts: dict[str, PhotoFacts]) -> None:
    bursts = _named(group_photos(corpus_facts.values()), corpus_facts, GroupKind.BURST)
    names = [{f"{RAWIO}/{n}.jpg" for n in ns} for ns in ((14, 15, 16), (19, 20, 21), (22, 23, 24))]
    for expected in names:
        assert expected in bursts
    # 19-21 and 22-24 look alike but are 3 s apart: two bursts, never one.
    assert not any({f"{RAWIO}/21.jpg", f"{RAWIO}/22.jpg"} <= b for b in bursts)
    # 17 and 18 are 19 s apart: no burst. Orientation files have no capture time: no burst.
    assert not any(f"{RAWIO}/17.jpg" in b or ORIENT in next(iter(b)) for b in bursts)


def test_orientation_variants_are_one_similar_group_each(
    truth: dict[str, Any], corpus_facts: dict[str, PhotoFacts]
) -> None:
    similar = _named(group_photos(corpus_facts.values()), corpus_facts, GroupKind.SIMILAR)
    for group in truth["curated_groups"]:
        if group["kind"] == "same_pixels_after_orientation":
            assert set(group["members"]) in similar


def test_rotated_pixels_still_match_through_the_stored_phash() -> None:
    path = CORPUS / ORIENT / "Landscape_1.jpg"
    if not path.is_file():
        pytest.skip("shared corpus not present")
    with Image.open(path) as src:
        image = ImageOps.exif_transpose(src).convert("RGB")
    upright = perceptual_hashes(np.asarray(image))
    turns = (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270, Image.Transpose.TRANSPOSE)
    photos = [PhotoFacts(0, "a.jpg", "a", upright.dhash, upright.phash)]
    for n, turn in enumerate(turns, start=1):
        hashes = perceptual_hashes(np.asarray(image.transpose(turn)))
        assert hamming(hashes.dhash, upright.dhash) > 10  # plain hashes do not match
        photos.append(PhotoFacts(n, f"r{n}.jpg", f"r{n}", hashes.dhash, hashes.phash))
    groups = group_photos(photos)
    assert [(g.kind, g.members) for g in groups] == [(GroupKind.SIMILAR, (0, 1, 2, 3))]


def _flipped(code: str, bits: int, start: int = 0) -> str:
    value = int(code, 16)
    for b in range(start, start + bits):
        value ^= 1 << b
    return f"{value:016x}"


def test_similar_limits_allow_a_looser_phash_than_dhash() -> None:
    """Similar = pHash within 12 bits and dHash within 8 (measured in bench/grouping_eval.py)."""
    base = "0f0f0f0f0f0f0f0f"

    def pair(p_bits: int, d_bits: int) -> list[tuple[int, ...]]:
        photos = [
            PhotoFacts(0, "a.jpg", "a", base, base),
            PhotoFacts(1, "b.jpg", "b", _flipped(base, d_bits, 3), _flipped(base, p_bits, 40)),
        ]
        return [g.members for g in group_photos(photos) if g.kind is GroupKind.SIMILAR]

    assert pair(12, 8) == [(0, 1)]
    assert pair(13, 0) == []
    assert pair(0, 9) == []


def test_shifted_cropped_and_brighter_frame_is_similar() -> None:
    """A frame cropped by 8 %, shifted and 0.7 EV brighter is similar to the original shot."""
    path = CORPUS / RAWIO / "19.jpg"
    if not path.is_file():
        pytest.skip("shared corpus not present")
    with Image.open(path) as src:
        image = np.asarray(ImageOps.exif_transpose(src).convert("RGB"))
    h, w = image.shape[:2]
    ch, cw = int(h * 0.92), int(w * 0.92)
    top, left = (h - ch) // 2 + int(0.02 * h), (w - cw) // 2 - int(0.02 * w)
    crop = image[top : top + ch, left : left + cw].astype(np.float32) * 2.0**0.7
    frame = np.clip(crop, 0, 255).astype(np.uint8)
    photos = []
    for pid, pixels in enumerate((image, frame)):
        hashes = perceptual_hashes(pixels)
        photos.append(PhotoFacts(pid, f"{pid}.jpg", f"c{pid}", hashes.dhash, hashes.phash))
    groups = group_photos(photos)
    assert [(g.kind, g.members) for g in groups] == [(GroupKind.SIMILAR, (0, 1))]


def _frame(
    pid: int, seconds: float, camera: str | None, phash: str = "0f0f0f0f0f0f0f0f"
) -> PhotoFacts:
    return PhotoFacts(
        id=pid,
        path=f"IMG_{pid:04d}.JPG",
        content_hash=f"c{pid}",
        phash=phash,
        dhash=phash,
        captured_at=dt.datetime(2024, 5, 1, 12, 0) + dt.timedelta(seconds=seconds),
        camera=camera,
        score=3.0,
    )


def test_long_gap_splits_a_burst_and_two_cameras_are_not_merged() -> None:
    photos = [_frame(i, 0.3 * i, "A #1") for i in range(4)]
    photos += [_frame(10 + i, 30 + 0.5 * i, "A #1") for i in range(3)]  # 29 s later
    photos += [_frame(20 + i, 0.3 * i + 0.1, "B #2") for i in range(4)]  # other body, same time
    photos.append(_frame(30, 0.5, None))  # unknown camera in between: must not bridge A and B
    bursts = [g.members for g in group_photos(photos) if g.kind is GroupKind.BURST]
    assert (10, 11, 12) in bursts
    assert (20, 21, 22, 23) in bursts or (20, 21, 22, 23, 30) in bursts
    assert any(set(b) >= {0, 1, 2, 3} for b in bursts)
    assert not any({0, 20} <= set(b) for b in bursts)


def test_frames_in_the_window_that_look_different_are_not_a_burst() -> None:
    photos = [_frame(0, 0.0, "A"), _frame(1, 0.4, "A", phash="f0f0f0f0f0f0f0f0")]
    assert not [g for g in group_photos(photos) if g.kind is GroupKind.BURST]


def test_same_input_in_any_order_gives_the_same_groups(
    corpus_facts: dict[str, PhotoFacts],
) -> None:
    photos = list(corpus_facts.values())
    expected = group_photos(photos)
    for seed in range(3):
        random.Random(seed).shuffle(photos)
        assert group_photos(photos) == expected
    assert expected == sorted(expected, key=lambda g: (list(GroupKind).index(g.kind), g.members))


def test_each_photo_in_at_most_one_group_per_kind(corpus_facts: dict[str, PhotoFacts]) -> None:
    groups = group_photos(corpus_facts.values())
    for kind in GroupKind:
        members = [m for g in groups if g.kind is kind for m in g.members]
        assert len(members) == len(set(members))


def test_near_pairs_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**63, 300, dtype=np.uint64)
    flips = np.uint64(1) << rng.integers(0, 64, (300, 4)).astype(np.uint64)
    codes = np.concatenate([base, base ^ flips[:, 0], base ^ flips[:, 0] ^ flips[:, 1]])
    a, b = near_pairs((codes, codes), (codes, codes), (3, 3), self_join=True)
    i, j = np.triu_indices(len(codes), 1)
    close = np.bitwise_count(codes[i] ^ codes[j]) <= 3
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == set(
        zip(i[close].tolist(), j[close].tolist(), strict=True)
    )
    assert len(a) >= 900


def test_dihedral_codes_are_a_group_action() -> None:
    codes = hex_codes(["d6cd9bb2383264e4", "91bcb8d3cc79c30c"])
    variants = dihedral_codes(codes)
    assert variants.shape == (8, 2)
    assert (variants[0] == codes).all()
    assert len({int(v) for v in variants[:, 0]}) == 8
    # Turning twice by the same mirror gives the original back.
    assert (dihedral_codes(variants[3])[3] == codes).all()


def test_ten_thousand_synthetic_photos_group_quickly() -> None:
    # bench/grouping_eval.py times 5k-50k; here only that a large session works and is right.
    rng = random.Random(5)
    photos: list[PhotoFacts] = []
    scene = 0
    for i in range(10_000):
        if i % 4 == 0:  # a new scene every fourth frame; the three after it repeat its phash
            scene = rng.getrandbits(64)
        photos.append(
            dataclasses.replace(
                _frame(i, i * 0.6 + (i // 4) * 5, f"cam{i % 3}", f"{scene:016x}"),
                content_hash=f"c{i}",
            )
        )
    groups = group_photos(photos)
    similar = [g for g in groups if g.kind is GroupKind.SIMILAR]
    assert len(similar) == 2_500
    assert all(len(g.members) == 4 for g in similar)
