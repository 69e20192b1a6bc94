"""Every built-in context is reachable from a realistic record; broken rules files name the line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from photoq.errors import ConfigError
from photoq.pipeline.analysis import analyse_photo
from photoq.pipeline.culling.context import ContextFacts, classify, context_facts, scene_ev
from photoq.pipeline.culling.rules import load_rules
from photoq.pipeline.culling.sun import sun_elevation, to_utc

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _shot(f: float, t: float, iso: float, **rest: Any) -> ContextFacts:
    """A record as a camera and the analysis would give it."""
    return ContextFacts(f_number=f, exposure_time=t, iso=iso, scene_ev=scene_ev(f, t, iso), **rest)


DAY = {
    "flash": False,
    "hour": 13.0,
    "brightness": 0.5,
    "highlights_clipped_pct": 0.2,
    "shadows_clipped_pct": 0.5,
}
RECORDS = {
    # 85 mm f/1.8 head-and-shoulders in shade.
    "portrait": _shot(1.8, 1 / 500, 100, focal_length_35mm=85, faces=1, face_area=0.08, **DAY),
    # Five people at 35 mm, f/4.
    "group_portrait": _shot(4, 1 / 250, 200, focal_length_35mm=35, faces=5, face_area=0.01, **DAY),
    # 16 mm f/11 in sunshine, nobody in the frame.
    "landscape": _shot(11, 1 / 200, 100, focal_length_35mm=16, faces=0, face_area=0.0, **DAY),
    # City street at night, hand-held, ISO 6400.
    "night": _shot(
        1.8,
        1 / 30,
        6400,
        focal_length_35mm=28,
        faces=0,
        face_area=0.0,
        flash=False,
        hour=22.5,
        brightness=0.18,
        sun_elevation=-25.0,
    ),
    # 400 mm at 1/2000 s, ISO 1600, a football match.
    "sports": _shot(
        5.6, 1 / 2000, 1600, focal_length_35mm=400, faces=1, face_area=0.004, motion_blur=0.1, **DAY
    ),
    # 100 mm macro lens at f/11, an insect.
    "macro": _shot(
        11,
        1 / 200,
        400,
        focal_length_35mm=100,
        lens="EF100mm f/2.8L Macro IS USM",
        faces=0,
        face_area=0.0,
        **DAY,
    ),
    # Subject against a bright sky: both ends of the histogram clipped.
    "backlit": _shot(
        8,
        1 / 1000,
        100,
        focal_length_35mm=50,
        faces=1,
        face_area=0.01,
        flash=False,
        hour=12.0,
        brightness=0.45,
        highlights_clipped_pct=12.0,
        shadows_clipped_pct=6.0,
    ),
    # Flash in a dim room.
    "indoor_flash": _shot(
        4,
        1 / 60,
        800,
        focal_length_35mm=35,
        faces=0,
        face_area=0.0,
        flash=True,
        hour=20.0,
        brightness=0.4,
    ),
    # 19:40 in June with GPS: the sun a few degrees above the horizon.
    "golden_hour": _shot(
        8,
        1 / 125,
        100,
        focal_length_35mm=50,
        faces=0,
        face_area=0.0,
        flash=False,
        hour=19.6,
        brightness=0.45,
        sun_elevation=4.0,
    ),
    # 20 s at ISO 3200 under a dark sky.
    "astro": _shot(
        2.8,
        20,
        3200,
        focal_length_35mm=14,
        faces=0,
        face_area=0.0,
        flash=False,
        hour=23.5,
        brightness=0.08,
        sun_elevation=-40.0,
    ),
    # A phone snapshot at noon indoors, nothing distinctive.
    "default": _shot(
        1.8,
        1 / 60,
        200,
        focal_length_35mm=26,
        faces=0,
        face_area=0.0,
        flash=False,
        hour=12.0,
        brightness=0.5,
    ),
}


@pytest.mark.parametrize("context", list(RECORDS))
def test_every_built_in_context_is_reachable(context: str) -> None:
    rules = load_rules()
    result = classify(RECORDS[context], rules)
    assert result.context == context, result.scores
    assert set(result.scores) == set(rules.contexts)
    if context != "default":
        assert result.preset == rules.contexts[context][0]
        assert result.scores[context] >= rules.threshold
    assert 0.0 <= result.blend <= 100.0


def test_unknown_everything_is_default() -> None:
    result = classify(ContextFacts(), load_rules())
    assert result.context == "default"
    assert all(score == 0.0 for score in result.scores.values())


def test_real_drone_photo_is_a_landscape() -> None:
    path = CORPUS / "hdkai+Raw-IO/test/media/group/19.jpg"
    if not path.is_file():
        pytest.skip("shared corpus not present")
    facts = context_facts(analyse_photo(path))
    assert facts.camera is not None
    assert "DJI" in facts.camera
    assert classify(facts, load_rules()).context == "landscape"


def test_sun_elevation_known_values() -> None:
    # Greenwich, June solstice, solar noon: 90 - 51.48 + 23.44 ≈ 61.96 degrees.
    noon = sun_elevation(dt.datetime(2024, 6, 21, 12, 2), 51.48, 0.0)
    assert noon == pytest.approx(61.96, abs=0.3)
    assert sun_elevation(dt.datetime(2024, 6, 21, 0, 0), 51.48, 0.0) < -10
    local = dt.datetime(2024, 6, 21, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert to_utc(local, 13.4) == dt.datetime(2024, 6, 21, 12, 0)


BROKEN = [
    ("default: {preset: natural}\ncontexts:\n\tportrait: {}\n", 3, "not valid YAML"),
    (
        "default: {preset: natural}\ncontexts:\n  portrait:\n    preset: p\n    rules:\n"
        "      - when: {focal: {gte: 50}}\n        weight: 0.5\n",
        6,
        "unknown condition 'focal'",
    ),
    (
        "default: {preset: natural}\ncontexts:\n  portrait:\n    preset: p\n    rules:\n"
        "      - when:\n          faces: {about: 1}\n        weight: 0.5\n",
        7,
        "unknown operator 'about'",
    ),
    (
        "default: {preset: natural}\ncontexts:\n  portrait:\n    preset: p\n    rules:\n"
        "      - when: {faces: {gte: 1}}\n        weight: heavy\n",
        7,
        "weight must be a number",
    ),
    (
        "default: {preset: natural}\ncontexts:\n  night:\n    preset: n\n    blend: 150\n"
        "    rules: []\n",
        5,
        "blend must be a percentage",
    ),
    ("default: {preset: natural}\ncontext: {}\n", 2, "unknown key 'context'"),
    ("", 1, "the file is empty"),
]


@pytest.mark.parametrize(("text", "line", "reason"), BROKEN)
def test_broken_rules_file_names_file_line_and_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"line {line}:" in message
    assert reason in message
    assert "\n" not in message


def test_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "nope.yaml")


def test_every_recommended_preset_is_a_builtin() -> None:
    from photoq.pipeline.culling.rules import load_rules
    from photoq.pipeline.presets.library import builtin_presets

    rules = load_rules()
    recommended = {preset for preset, _, _ in rules.contexts.values()} | {rules.default_preset}
    assert recommended <= set(builtin_presets())
