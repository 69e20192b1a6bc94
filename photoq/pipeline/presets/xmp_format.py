"""Lightroom / Camera Raw presets and photo sidecars: the ``crs:`` settings of an XMP file.

A ``.xmp`` preset and a photo's ``.xmp`` sidecar carry the same thing: an ``rdf:Description``
whose ``crs:`` properties are the develop settings, written either as attributes
(``crs:Exposure2012="+0.30"``) or as child elements — simple text, ``rdf:Alt`` language
alternatives (``crs:Name``), ``rdf:Seq`` point lists (``crs:ToneCurvePV2012``) or nested
structures (``crs:Look``, local-adjustment masks). :func:`read_crs` returns the top-level
properties typed the way ExifTool prints them (``"+0.30"`` → 0.3, ``"True"`` → True, lists as
lists of strings); :func:`preset_from_xmp` maps them onto :class:`DevelopSettings`.

The parser is ``defusedxml``: a DTD, entity declaration or external reference is refused, so a
hostile file cannot expand entities (billion laughs) or read local files (XXE).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePath

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from photoq.pipeline.presets.crs import settings_from_crs
from photoq.pipeline.presets.model import BadPreset, Preset

CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_XMP_BYTES = 4 << 20  # real presets are < 100 kB; sidecars with masks stay far below this

CrsValue = bool | int | float | str | list[str] | dict[str, object]
"""A top-level ``crs:`` value: scalar, point list, or a nested structure (kept opaque)."""

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_CRS_PREFIX = f"{{{CRS}}}"


class XmpPresetReader:
    """Reads Lightroom/Camera Raw ``.xmp`` presets and photo sidecars (``crs:`` settings)."""

    name = "xmp"
    suffixes: tuple[str, ...] = (".xmp",)

    def sniff(self, prefix: bytes) -> bool:
        return b"camera-raw-settings" in prefix or b"<x:xmpmeta" in prefix

    def read(self, data: bytes, filename: str) -> Preset:
        return preset_from_xmp(data, filename)


def read_crs(data: bytes, filename: str = "preset.xmp") -> dict[str, CrsValue]:
    """The top-level ``crs:`` properties of an XMP packet, by local name.

    Properties of nested structures (a ``crs:Look``, masks) are not lifted to the top level;
    the structure itself is returned as one opaque value under its own name.
    """
    if len(data) > MAX_XMP_BYTES:
        msg = f"{filename}: XMP larger than {MAX_XMP_BYTES >> 20} MiB"
        raise BadPreset(msg)
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        msg = f"{filename}: refused XMP with {type(exc).__name__} (DTD or entities)"
        raise BadPreset(msg) from exc
    except (ET.ParseError, ValueError) as exc:
        msg = f"{filename}: not well-formed XML ({exc})"
        raise BadPreset(msg) from exc
    out: dict[str, CrsValue] = {}
    for description in _top_descriptions(root):
        for key, raw in description.attrib.items():
            if key.startswith(_CRS_PREFIX):
                out.setdefault(key[len(_CRS_PREFIX) :], _typed(raw))
        for child in description:
            if child.tag.startswith(_CRS_PREFIX):
                out.setdefault(child.tag[len(_CRS_PREFIX) :], _element_value(child))
    return out


def preset_from_xmp(data: bytes, filename: str = "preset.xmp") -> Preset:
    """A :class:`Preset` from a Lightroom preset or photo sidecar; unsupported settings listed."""
    crs = read_crs(data, filename)
    if not crs:
        msg = f"{filename}: no Camera Raw (crs:) settings in this XMP"
        raise BadPreset(msg)
    settings, unsupported = settings_from_crs(crs, filename)
    name = crs.get("Name")
    return Preset(
        name=str(name) if isinstance(name, str) and name else PurePath(filename).stem,
        settings=settings,
        source="xmp",
        unsupported=unsupported,
        group=str(crs.get("Group", "")),
        uuid=str(crs.get("UUID", "")),
    )


def _top_descriptions(root: ET.Element) -> list[ET.Element]:
    rdfs = [root] if root.tag == f"{{{RDF}}}RDF" else root.iter(f"{{{RDF}}}RDF")
    return [d for rdf in rdfs for d in rdf if d.tag == f"{{{RDF}}}Description"]


def _typed(raw: str) -> bool | int | float | str:
    """ExifTool's reading of a scalar: signed numbers become numbers, True/False booleans."""
    text = raw.strip()
    if _NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if "." not in text else number
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _element_value(element: ET.Element) -> CrsValue:
    children = list(element)
    if not children:
        if any(k.startswith(_CRS_PREFIX) for k in element.attrib):
            return _structure(element)
        if element.get(f"{{{RDF}}}parseType") == "Resource":
            return {}
        return _typed(element.text or "")
    container = children[0]
    items = [li for li in container if li.tag == f"{{{RDF}}}li"]
    if container.tag == f"{{{RDF}}}Alt":
        default = [li for li in items if li.get(XML_LANG) == "x-default"] or items
        return _typed(default[0].text or "") if default else ""
    if container.tag in (f"{{{RDF}}}Seq", f"{{{RDF}}}Bag"):
        if any(len(li) or any(k.startswith(_CRS_PREFIX) for k in li.attrib) for li in items):
            return {"items": len(items)}  # a list of structures: local masks and the like
        return [(li.text or "").strip() for li in items]
    return _structure(container if container.tag == f"{{{RDF}}}Description" else element)


def _structure(element: ET.Element) -> dict[str, object]:
    """A nested structure, summarised by its scalar ``crs:`` fields (kept for listing only)."""
    return {
        key[len(_CRS_PREFIX) :]: _typed(value)
        for key, value in element.attrib.items()
        if key.startswith(_CRS_PREFIX)
    }
