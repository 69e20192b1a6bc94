"""Best pick per group with every tie-break, reject reasons in words, star ratings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from photoq.pipeline.analysis import analyse_photo
from photoq.pipeline.culling.facts import PhotoFacts, facts_from_analysis
from photoq.pipeline.culling.grouping import Group, GroupKind, group_photos
from photoq.pipeline.culling.picking import decide, star_rating
from photoq.pipeline.culling.ranking import Criterion, best_of, deciding_criterion

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
T0 = dt.datetime(2024, 5, 1, 12, 0)

BASE = PhotoFacts(
    id=1,
    path="/shoot/IMG_0001.JPG",
    content_hash="a",
    phash="0f0f0f0f0f0f0f0f",
    dhash="0f0f0f0f0f0f0f0f",
    captured_at=T0,
    camera="A",
    score=4.0,
    eyes_open=True,
    sharpness=0.8,
    pixels=24_000_000,
)


def _other(**changes: Any) -> PhotoFacts:
    return dataclasses.replace(BASE, id=2, path="/shoot/IMG_0412.JPG", content_hash="b", **changes)


@pytest.mark.parametrize(
    ("better", "worse_changes", "criterion"),
    [
        ({}, {"score": 3.9}, Criterion.SCORE),
        ({}, {"eyes_open": None}, Criterion.EYES),
        ({"eyes_open": None}, {"eyes_open": False}, Criterion.EYES),
        ({}, {"sharpness": 0.7}, Criterion.SHARPNESS),
        ({}, {"pixels": 12_000_000}, Criterion.RESOLUTION),
        ({}, {"captured_at": T0 + dt.timedelta(seconds=0.2)}, Criterion.CAPTURE),
        ({}, {}, Criterion.ID),
    ],
)
def test_each_tie_break_in_order(
    better: dict[str, Any], worse_changes: dict[str, Any], criterion: Criterion
) -> None:
    winner = dataclasses.replace(BASE, **better)
    loser = _other(**{**better, **worse_changes})
    assert best_of([loser, winner]) == winner
    assert deciding_criterion(winner, loser) is criterion


def test_a_higher_score_beats_open_eyes_and_sharpness() -> None:
    closed_but_better = _other(score=4.5, eyes_open=False, sharpness=0.1, pixels=1)
    assert best_of([BASE, closed_but_better]) == closed_but_better


def test_reasons_name_the_better_frame_and_why() -> None:
    sharper = _other(sharpness=0.95)
    eyes = dataclasses.replace(_other(), id=3, path="/s/IMG_0413.JPG", content_hash="c")
    closed = dataclasses.replace(BASE, eyes_open=False)
    copy = dataclasses.replace(BASE, id=4, path="/s/copy/IMG_0001.JPG")
    groups = [
        Group(GroupKind.EXACT, (1, 4), 1),
        Group(GroupKind.SIMILAR, (1, 2), 2),
    ]
    by_id = {d.photo_id: d for d in decide([BASE, sharper, copy], groups)}
    assert by_id[4].reason == "exact duplicate of IMG_0001"
    assert by_id[1].reason == "duplicate of IMG_0412, sharper"
    assert by_id[2].pick
    assert not by_id[1].pick
    burst = decide([closed, eyes], [Group(GroupKind.BURST, (1, 3), 3)])
    assert burst[0].reason == "burst: IMG_0413 has eyes open"
    assert burst[1].reason is None


def test_photos_in_no_group_need_the_threshold() -> None:
    blurry = dataclasses.replace(BASE, score=2.14, faults=("motion blur",))
    closed = dataclasses.replace(_other(), score=2.5, eyes_open=False, faults=("noisy",))
    fine = dataclasses.replace(BASE, id=3, score=3.0)
    decisions = decide([blurry, closed, fine], [], threshold=3.0)
    assert decisions[0].reason == "score 2.1 below 3.0: motion blur"
    assert decisions[1].reason == "score 2.5 below 3.0: eyes closed, noisy"
    assert decisions[2].pick
    assert [d.pick for d in decide([blurry], [], threshold=2.0)] == [True]


def test_star_ratings() -> None:
    assert star_rating(4.6, pick=True) == 5
    assert star_rating(3.4, pick=True) == 3
    assert star_rating(1.2, pick=True) == 2
    assert star_rating(4.9, pick=False) == 2
    assert star_rating(1.2, pick=False) == 1
    assert star_rating(None, pick=False) == 1


def test_real_burst_pick_is_the_best_scored_frame() -> None:
    names = [f"hdkai+Raw-IO/test/media/group/{n}.jpg" for n in (14, 15, 16)]
    if not (CORPUS / names[0]).is_file():
        pytest.skip("shared corpus not present")
    facts = [facts_from_analysis(i, n, analyse_photo(CORPUS / n)) for i, n in enumerate(names)]
    groups = [g for g in group_photos(facts) if g.kind is GroupKind.BURST]
    assert [g.members for g in groups] == [(0, 1, 2)]
    best = max(facts, key=lambda f: f.score or 0.0)
    assert groups[0].cover == best.id
    decisions = decide(facts, groups)
    assert [d.pick for d in decisions] == [f.id == best.id for f in facts]
    for d in decisions:
        if not d.pick:
            assert d.reason is not None
            assert d.reason.startswith(f"burst: {Path(names[best.id]).stem} scores ")


def test_exact_copies_of_a_real_file(tmp_path: Path) -> None:
    truth = CORPUS / "truth_groups.json"
    if not truth.is_file():
        pytest.skip("shared corpus not present")
    members = json.loads(truth.read_text())["exact_duplicate_groups"][0]["members"]
    facts = [facts_from_analysis(i, m, analyse_photo(CORPUS / m)) for i, m in enumerate(members)]
    decisions = decide(facts, group_photos(facts))
    assert [d.pick for d in decisions] == [True, False]
    assert decisions[1].reason == f"exact duplicate of {Path(members[0]).stem}"
