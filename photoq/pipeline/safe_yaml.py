"""YAML from user files without alias expansion: the one loader every photoq YAML reader uses.

``yaml.safe_load`` builds plain data only, but it still expands anchors and aliases, so a
few hundred bytes ("billion laughs": each level a list of aliases to the level before) become
gigabytes of nested lists. photoq's files (presets, context rules) never need an anchor, so
:class:`NoAliasLoader` refuses any ``&anchor`` or ``*alias`` where it meets it, before anything is
expanded, and bounds how deeply collections nest; :func:`compose` and :func:`load` also bound the
document's size before parsing. Every refusal is a :class:`yaml.MarkedYAMLError` (or a
:class:`yaml.YAMLError` for the size), so callers' existing YAML error handling reports it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "NoAliasDumper",
    "NoAliasLoader",
    "YamlTooLarge",
    "compose",
    "load",
]

#: The largest YAML document read (characters or bytes); real presets and rules are a few KiB.
MAX_YAML_BYTES = 1 << 20
#: The deepest nesting of mappings and sequences (the composer recurses once per level).
MAX_YAML_DEPTH = 64


class YamlTooLarge(yaml.YAMLError):
    """The document is larger than the limit; it was not parsed."""


class NoAliasLoader(yaml.SafeLoader):
    """:class:`yaml.SafeLoader` that refuses anchors and aliases and deep nesting."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            kind = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
            raise ComposerError(
                None,
                None,
                f"a YAML {kind}: anchors (&) and aliases (*) are refused (they can expand "
                "without bound)",
                event.start_mark,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            if self._depth >= MAX_YAML_DEPTH:
                reason = f"nested deeper than {MAX_YAML_DEPTH} levels"
                raise ComposerError(None, None, reason, event.start_mark)  # type: ignore[arg-type]
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


class NoAliasDumper(yaml.SafeDumper):
    """:class:`yaml.SafeDumper` that never writes an anchor, so what it dumps loads back."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _checked(text: str | bytes, limit: int) -> str | bytes:
    if len(text) > limit:
        msg = f"YAML document larger than {limit} bytes ({len(text)}); not parsed"
        raise YamlTooLarge(msg)
    return text


def compose(text: str | bytes, *, limit: int = MAX_YAML_BYTES) -> yaml.Node | None:
    """The document's node tree (positions kept), refusing aliases, anchors and size."""
    return yaml.compose(_checked(text, limit), Loader=NoAliasLoader)


def load(text: str | bytes, *, limit: int = MAX_YAML_BYTES) -> Any:
    """Plain data like ``yaml.safe_load``, refusing aliases, anchors and size."""
    return yaml.load(_checked(text, limit), Loader=NoAliasLoader)
