"""Export filename templates: ``{stem}_{seq:04d}``, ``{date:%Y/%m}/{preset}-{stem}`` and so on.

Fields (a :class:`TemplateFields` carries them):

- ``{stem}`` the original's name without extension, ``{seq}`` a running number (``{seq:04d}``),
- ``{date}`` the capture date, formatted with ``strftime`` codes (``{date:%Y%m%d}``; plain
  ``{date}`` is ``%Y-%m-%d``; ``undated`` when the photo has none),
- ``{rating}`` (``0`` when unknown), ``{context}`` and ``{preset}`` (``none`` when unknown).

The exporter adds the extension. ``/`` in the template's own text makes sub-folders of the export
folder; nothing may leave it. The template is checked twice: its text before any field is filled
in (absolute paths, ``..``, backslashes, attribute/index look-ups such as ``{stem.__class__}``),
and the rendered path again, resolved against the real export folder, so a field value (a preset
named ``../x``) or a symlinked sub-folder cannot lead outside either. Both checks run before
anything is written.
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from photoq.pipeline.export.errors import UnsafeTemplate

if TYPE_CHECKING:
    import datetime as dt

    from photoq.pipeline.metadata import ExifRecord

FIELDS = frozenset({"stem", "seq", "date", "rating", "context", "preset"})
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
UNDATED = "undated"
UNKNOWN = "none"
# Longest name most file systems accept for one path component, in bytes.
_MAX_COMPONENT = 255
# A width like {seq:999999999d} would allocate gigabytes before any length check could run.
_HUGE_WIDTH = re.compile(r"\d{4,}")
# Characters a field value may not bring into a file name: separators, NUL, control characters.
_UNSAFE_VALUE_CHARS = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class TemplateFields:
    """The values a filename template can use."""

    stem: str
    seq: int = 1
    date: dt.datetime | dt.date | None = None
    rating: int | None = None
    context: str | None = None
    preset: str | None = None

    @classmethod
    def for_photo(
        cls,
        original: Path,
        exif: ExifRecord | None = None,
        *,
        seq: int = 1,
        rating: int | None = None,
        context: str | None = None,
        preset: str | None = None,
    ) -> TemplateFields:
        """Fields for ``original``, its capture time taken from ``exif`` when known."""
        date = exif.capture_time if exif is not None else None
        return cls(original.stem, seq, date, rating, context, preset)


def check_template(template: str) -> None:
    """Reject a template that is malformed or could write outside the export folder."""
    if not template.strip():
        msg = "the filename template is empty"
        raise UnsafeTemplate(msg)
    if template.endswith("/"):
        msg = f"filename template {template!r} names a folder; end it with a file name"
        raise UnsafeTemplate(msg)
    if "\\" in template or "\x00" in template:
        msg = f"filename template {template!r} contains a backslash or NUL; use '/' for folders"
        raise UnsafeTemplate(msg)
    for _, name, spec, conversion in _parse(template):
        if name is None:
            continue
        if name not in FIELDS:
            choices = ", ".join("{" + f + "}" for f in sorted(FIELDS))
            msg = f"filename template {template!r}: unknown field {{{name}}}; use {choices}"
            raise UnsafeTemplate(msg)
        if conversion is not None or "{" in (spec or "") or _HUGE_WIDTH.search(spec or ""):
            msg = f"filename template {template!r}: unsupported format for {{{name}}}"
            raise UnsafeTemplate(msg)
    _check_relative(PurePosixPath(template), template)


def render_relative(template: str, fields: TemplateFields, extension: str) -> PurePosixPath:
    """The export path relative to the export folder, ``extension`` appended (no dot)."""
    check_template(template)
    parts: list[str] = []
    for literal, name, spec, _ in _parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(_format_field(name, spec or "", fields, template))
    rendered = "".join(parts)
    rel = PurePosixPath(f"{rendered}.{extension.lstrip('.')}")
    _check_relative(rel, template)
    return rel


def resolve_target(dest_dir: Path, rel: PurePosixPath, template: str) -> Path:
    """``dest_dir / rel``, refused if its resolved location is not inside ``dest_dir``."""
    root = dest_dir.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or target == root:
        msg = f"filename template {template!r} gives {str(rel)!r}, which leaves {dest_dir}"
        raise UnsafeTemplate(msg)
    return target


def _parse(template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(template))
    except ValueError as exc:
        msg = f"filename template {template!r} is malformed: {exc}"
        raise UnsafeTemplate(msg) from None


def _check_relative(path: PurePosixPath, template: str) -> None:
    if path.is_absolute():
        msg = f"filename template {template!r} is an absolute path; it must stay in the folder"
        raise UnsafeTemplate(msg)
    for part in path.parts:
        if part == "..":
            msg = f"filename template {template!r} uses '..'; it must stay in the export folder"
            raise UnsafeTemplate(msg)
        # The bytes the file system gets: a {stem} that is not UTF-8 keeps its own bytes.
        if len(os.fsencode(part)) > _MAX_COMPONENT:
            msg = f"filename template {template!r} gives a name longer than {_MAX_COMPONENT} bytes"
            raise UnsafeTemplate(msg)


def _format_field(name: str, spec: str, fields: TemplateFields, template: str) -> str:
    try:
        text = _field_text(name, spec, fields)
    except (ValueError, TypeError) as exc:
        msg = f"filename template {template!r}: cannot format {{{name}:{spec}}}: {exc}"
        raise UnsafeTemplate(msg) from None
    if name == "date":
        # A '/' here comes from the template's own strftime codes ({date:%Y/%m}): folders.
        return text
    return _UNSAFE_VALUE_CHARS.sub("_", text)


def _field_text(name: str, spec: str, fields: TemplateFields) -> str:
    if name == "date":
        if fields.date is None:
            return UNDATED
        return fields.date.strftime(spec or DEFAULT_DATE_FORMAT)
    if name == "seq":
        return format(fields.seq, spec)
    if name == "rating":
        return format(fields.rating if fields.rating is not None else 0, spec)
    value = {"stem": fields.stem, "context": fields.context, "preset": fields.preset}[name]
    return format(value if value else UNKNOWN, spec)
