"""Hostile YAML (issue #14): an alias bomb of a few hundred bytes is refused at once, without
expanding, by every loader of user YAML (presets, context rules)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from photoq.errors import ConfigError, PhotoqError
from photoq.pipeline.culling.rules import load_rules
from photoq.pipeline.presets import BadPreset, load_preset, read_preset


def billion_laughs(prefix: str, leaf: str) -> str:
    """Nine levels of nine aliases each: 9**9 (387 million) leaves once expanded."""
    lines = [prefix, f'l0: &l0 ["{leaf}", "{leaf}", "{leaf}", "{leaf}", "{leaf}"]']
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


PRESET_BOMB = billion_laughs("format: photoq-preset/1\nname: laughs\nunsupported:", "lol")
PRESET_BOMB = PRESET_BOMB.replace("\nl", "\n  l")  # the levels under `unsupported:`
RULES_BOMB = billion_laughs("default: {preset: natural}\ncontexts:", "x").replace("\nl", "\n  l")


def _bounded(call: Callable[[], object], error: type[Exception]) -> tuple[Exception, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(error) as caught:
            call()
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return caught.value, elapsed, peak


def test_bombs_are_small() -> None:
    assert len(PRESET_BOMB.encode()) < 1024
    assert len(RULES_BOMB.encode()) < 1024


@pytest.mark.timeout(60)
def test_preset_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(PRESET_BOMB)
    exc, elapsed, peak = _bounded(lambda: read_preset(path), BadPreset)
    assert elapsed < 1.0
    assert peak < 50 << 20
    assert str(path) in str(exc)
    assert "alias" in str(exc) or "anchor" in str(exc)


@pytest.mark.timeout(60)
def test_rules_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_BOMB)
    exc, elapsed, peak = _bounded(lambda: load_rules(path), ConfigError)
    assert elapsed < 1.0
    assert peak < 50 << 20
    assert str(path) in str(exc)
    assert "line 3" in str(exc)  # the first anchor
    assert "anchor" in str(exc)


@pytest.mark.parametrize(
    "text",
    [
        "format: photoq-preset/1\nname: a\nsettings: &s {exposure: 1}\n",
        "format: photoq-preset/1\nname: a\ngroup: &g x\nsource: *g\n",
    ],
)
def test_a_single_anchor_or_alias_is_refused(text: str) -> None:
    with pytest.raises(BadPreset, match=r"a\.yaml: .*(anchor|alias)"):
        load_preset(text.encode(), "a.yaml")


def test_size_and_depth_are_bounded_before_expansion(tmp_path: Path) -> None:
    from photoq.pipeline import safe_yaml

    deep = "format: photoq-preset/1\nname: a\nunsupported: {x: " + "[" * 5000 + "]" * 5000 + "}\n"
    with pytest.raises(BadPreset, match="deeper than"):
        load_preset(deep.encode(), "deep.yaml")
    huge = tmp_path / "rules.yaml"
    huge.write_text("# padding\n" * (safe_yaml.MAX_YAML_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match="larger than"):
        load_rules(huge)
    with pytest.raises(safe_yaml.YamlTooLarge):
        safe_yaml.load("x" * (safe_yaml.MAX_YAML_BYTES + 1))


def test_shipped_rules_and_presets_still_load() -> None:
    assert load_rules().contexts
    from photoq.pipeline.presets import builtin_presets, dump_preset

    for preset in builtin_presets().values():
        assert load_preset(dump_preset(preset).encode()) == preset
    assert issubclass(BadPreset, PhotoqError)
