"""Load and check a context rules file (YAML); every mistake is reported with its line.

The format is documented at the top of the shipped ``photoq/data/context_rules.yaml``. The file
is read into YAML *nodes* (which keep their position) rather than plain values, so a wrong type,
an unknown condition or operator, or a misplaced key is reported as ``<file> line N: <reason>``
in a single :class:`~photoq.errors.ConfigError`, at load time rather than in a worker later.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from photoq.errors import ConfigError
from photoq.pipeline import safe_yaml
from photoq.pipeline.files import open_regular

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FIELDS", "OPERATORS", "Condition", "ContextRule", "ContextRules", "load_rules"]

#: Every condition name a rule may use, with its value type (see ContextFacts).
FIELDS: dict[str, type] = {
    "focal_length": float,
    "focal_length_35mm": float,
    "f_number": float,
    "exposure_time": float,
    "iso": float,
    "scene_ev": float,
    "flash": bool,
    "lens": str,
    "camera": str,
    "hour": float,
    "sun_elevation": float,
    "faces": float,
    "face_area": float,
    "brightness": float,
    "highlights_clipped_pct": float,
    "shadows_clipped_pct": float,
    "motion_blur": float,
    "sharpness": float,
}
#: Operators and the field types they apply to.
OPERATORS: dict[str, tuple[type, ...]] = {
    "eq": (float, bool, str),
    "ne": (float, bool, str),
    "lt": (float,),
    "lte": (float,),
    "gt": (float,),
    "gte": (float,),
    "between": (float,),
    "in": (float, str),
    "contains": (str,),
}
_TOP_KEYS = {"version", "threshold", "default", "contexts"}
_CONTEXT_KEYS = {"preset", "blend", "rules"}
_RULE_KEYS = {"when", "weight"}


@dataclass(frozen=True, slots=True)
class Condition:
    """``field <op> value``; ``value`` is a number, bool, string, or a list for between/in."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class ContextRule:
    """All ``conditions`` hold → the context gains ``weight`` (negative weights count against)."""

    conditions: tuple[Condition, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class ContextRules:
    """A checked rules file: contexts in file order (earlier wins a tie), threshold, default."""

    source: str
    threshold: float
    default_preset: str
    default_blend: float
    contexts: dict[str, tuple[str, float, tuple[ContextRule, ...]]]


class _Reader:
    """Turns YAML nodes into values, raising ConfigError with the node's line on any mistake."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._loader = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, reason: str) -> ConfigError:
        msg = f"context rules {self.source} line {node.start_mark.line + 1}: {reason}"
        return ConfigError(msg)

    def mapping(self, node: yaml.Node, what: str, keys: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, f"a key of {what}", str)
            if keys is not None and key not in keys:
                raise self.fail(
                    key_node, f"unknown key {key!r} in {what} (expected {sorted(keys)})"
                )
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r} in {what}")
            out[key] = value_node
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return list(node.value)

    def scalar(self, node: yaml.Node, what: str, kind: type) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a single {kind.__name__}")
        value = self._loader.construct_object(node)
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            wanted = "number" if kind is float else kind.__name__
            raise self.fail(node, f"{what} must be a {wanted}, got {value!r}")
        return value


def _condition(reader: _Reader, field_node: yaml.Node, field: str, node: yaml.Node) -> Condition:
    if field not in FIELDS:
        raise reader.fail(field_node, f"unknown condition {field!r} (known: {', '.join(FIELDS)})")
    kind = FIELDS[field]
    tests = reader.mapping(node, f"condition {field!r}")
    if len(tests) != 1:
        raise reader.fail(node, f"condition {field!r} needs exactly one operator, e.g. gte: 1")
    op, value_node = next(iter(tests.items()))
    if op not in OPERATORS:
        raise reader.fail(node, f"unknown operator {op!r} (known: {', '.join(OPERATORS)})")
    if kind not in OPERATORS[op]:
        raise reader.fail(node, f"operator {op!r} does not apply to {field!r}")
    what = f"the value of {field} {op}"
    if op in ("between", "in"):
        items = [reader.scalar(n, what, kind) for n in reader.sequence(value_node, what)]
        if op == "between" and (len(items) != 2 or items[0] > items[1]):
            raise reader.fail(value_node, f"{what} must be [low, high] with low <= high")
        return Condition(field, op, tuple(items))
    return Condition(field, op, reader.scalar(value_node, what, kind))


def _rule(reader: _Reader, node: yaml.Node, context: str) -> ContextRule:
    parts = reader.mapping(node, f"a rule of {context}", _RULE_KEYS)
    if "when" not in parts or "weight" not in parts:
        raise reader.fail(node, f"a rule of {context} needs 'when' and 'weight'")
    when = parts["when"]
    if not isinstance(when, yaml.MappingNode) or not when.value:
        raise reader.fail(when, f"'when' of a rule of {context} must map conditions to tests")
    conditions = tuple(
        _condition(reader, key, reader.scalar(key, "a condition name", str), value)
        for key, value in when.value
    )
    return ContextRule(conditions, reader.scalar(parts["weight"], "weight", float))


def _blend(reader: _Reader, node: yaml.Node) -> float:
    blend = float(reader.scalar(node, "blend", float))
    if not 0.0 <= blend <= 100.0:
        raise reader.fail(node, f"blend must be a percentage 0-100, got {blend:g}")
    return blend


def _parse(text: str, source: str) -> ContextRules:
    reader = _Reader(source)
    try:
        root = safe_yaml.compose(text)
    except safe_yaml.YamlTooLarge as exc:
        msg = f"context rules {source}: {exc}"
        raise ConfigError(msg) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        msg = f"context rules {source} line {line}: not valid YAML: {exc.problem or exc.context}"
        raise ConfigError(msg) from None
    if root is None:
        msg = f"context rules {source} line 1: the file is empty"
        raise ConfigError(msg)
    top = reader.mapping(root, "the rules file", _TOP_KEYS)
    for key in ("default", "contexts"):
        if key not in top:
            raise reader.fail(root, f"missing top-level key {key!r}")
    threshold = reader.scalar(top["threshold"], "threshold", float) if "threshold" in top else 0.5
    default = reader.mapping(top["default"], "default", {"preset", "blend"})
    if "preset" not in default:
        raise reader.fail(top["default"], "default needs a preset")
    contexts: dict[str, tuple[str, float, tuple[ContextRule, ...]]] = {}
    for name, node in reader.mapping(top["contexts"], "contexts").items():
        spec = reader.mapping(node, f"context {name!r}", _CONTEXT_KEYS)
        if "preset" not in spec or "rules" not in spec:
            raise reader.fail(node, f"context {name!r} needs a preset and rules")
        rules = tuple(_rule(reader, r, name) for r in reader.sequence(spec["rules"], "rules"))
        blend = _blend(reader, spec["blend"]) if "blend" in spec else 100.0
        contexts[name] = (reader.scalar(spec["preset"], "preset", str), blend, rules)
    return ContextRules(
        source=source,
        threshold=threshold,
        default_preset=reader.scalar(default["preset"], "preset", str),
        default_blend=_blend(reader, default["blend"]) if "blend" in default else 100.0,
        contexts=contexts,
    )


def load_rules(path: Path | None = None) -> ContextRules:
    """Load and check a rules file; ``None`` loads the one shipped with photoq."""
    if path is None:
        shipped = resources.files("photoq") / "data" / "context_rules.yaml"
        return _parse(shipped.read_text(encoding="utf-8"), "(built-in) context_rules.yaml")
    try:
        with open_regular(path) as fh:  # bounded; a FIFO or device is refused at once
            data = fh.read(safe_yaml.MAX_YAML_BYTES + 1)
        if len(data) > safe_yaml.MAX_YAML_BYTES:
            msg = f"context rules {path}: larger than {safe_yaml.MAX_YAML_BYTES} bytes"
            raise ConfigError(msg)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"context rules {path}: cannot read the file: {exc}"
        raise ConfigError(msg) from None
    return _parse(text, str(path))


@cache
def context_rules(path: Path | None = None) -> ContextRules:
    """:func:`load_rules`, once per process and path (every photo of a run uses the same)."""
    return load_rules(path)
