"""Set simple XMP properties in an existing packet, changing no other byte.

A sidecar belongs to the photographer and to every tool that wrote into it (Lightroom's develop
settings, digiKam's tags, darktable's history). Re-serialising it through an XML or RDF library
would reorder attributes, re-indent, change quoting and drop comments; so this module edits the
bytes instead. The packet is parsed once with expat to find, with their byte offsets, the
top-level ``rdf:Description`` elements, their attributes and their property elements, and the
namespace prefixes in scope. Then, for each property to set:

- present as an attribute (``xmp:Rating="3"``) → only the quoted value is replaced;
- present as a simple element (``<xmp:Rating>3</xmp:Rating>``) → only its text is replaced
  (a structured or empty element is replaced by the simple element);
- absent → an attribute is added to the first ``rdf:Description`` about the resource (not a
  ``rdf:nodeID`` blank node), declaring the namespace there if no prefix is bound to it; a prefix
  already bound to another namespace in that scope is not reused (``xmp1`` instead).

Namespaces are matched by URI, never by prefix (ExifTool's ``XMP6.xmp`` binds ``xmp`` to three
different namespaces). Safety: a DOCTYPE or entity declaration is refused outright — XMP never
has one, and it is how billion-laughs and external-entity attacks start — as are packets over
:data:`MAX_PACKET` bytes and anything expat cannot parse. Refusing (:class:`SidecarError`)
is always preferred to guessing: the caller must not replace a file it could not read.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from photoq.pipeline.export.errors import SidecarError

if TYPE_CHECKING:
    from collections.abc import Sequence

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MAX_PACKET = 16 << 20  # real sidecars are kilobytes; Lightroom's largest are a few hundred KiB
_ATTR = re.compile(rb"""(\s+)([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")
# A whole start tag; expat has already checked well-formedness, so this only measures it.
_START_TAG = re.compile(rb"""<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
# The packet wrapper's processing instructions. Their content is never used, and writers put
# odd bytes in ``begin`` (f-spot: a 0x1A control character, which XML forbids), so expat is
# shown them blanked out — same length, so every byte offset still holds.
_XPACKET_PI = re.compile(rb"<\?xpacket\b.*?\?>", re.DOTALL)
# Both quote characters are escaped: an existing value may sit in either kind of quotes.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_ESCAPES.update({"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


@dataclass(frozen=True, slots=True)
class Prop:
    """One simple property to set: namespace URI, preferred prefix, local name, text value."""

    uri: str
    prefix: str
    name: str
    value: str


@dataclass
class _Node:
    start: int  # offset of '<'
    tag_end: int  # offset just past the start tag's '>'
    qname: str
    scope: dict[str, str]  # prefix → URI in force inside this element
    end: int = -1  # offset just past the end tag
    children: int = 0
    rdf_attrs: bool = False  # rdf:resource / rdf:parseType …: not a plain literal
    props: list[_Node] = field(default_factory=list)  # property elements (for a Description)


@dataclass
class _Scan:
    descriptions: list[_Node] = field(default_factory=list)
    rdf: _Node | None = None


def merge(packet: bytes, props: Sequence[Prop]) -> bytes:
    """``packet`` with every property in ``props`` set; all other bytes unchanged."""
    scan = _scan(packet)
    edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), non-overlapping
    missing: list[Prop] = []
    for prop in props:
        found = _replace_existing(packet, scan, prop, edits)
        if not found:
            missing.append(prop)
    if missing:
        edits.append(_insertion(packet, scan, missing))
    out = bytearray(packet)
    for start, end, text in sorted(edits, key=lambda e: e[0], reverse=True):
        out[start:end] = text
    return bytes(out)


def escape(value: str) -> str:
    """``value`` escaped for an XML attribute or text (whitespace kept by char refs)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def _replace_existing(
    packet: bytes, scan: _Scan, prop: Prop, edits: list[tuple[int, int, bytes]]
) -> bool:
    found = False
    for desc in scan.descriptions:
        tag = packet[desc.start : desc.tag_end]
        for match in _ATTR.finditer(tag):
            if _resolve(match.group(2).decode(), desc.scope, element=False) == (
                prop.uri,
                prop.name,
            ):
                quoted = match.group(3)
                value = escape(prop.value).encode()
                start = desc.start + match.start(3)
                edits.append((start, start + len(quoted), quoted[:1] + value + quoted[:1]))
                found = True
        for elem in desc.props:
            if _resolve(elem.qname, elem.scope) != (prop.uri, prop.name):
                continue
            text = escape(prop.value).encode()
            if elem.children == 0 and not elem.rdf_attrs and elem.tag_end < elem.end:
                close = packet.rindex(b"</", elem.start, elem.end)
                edits.append((elem.tag_end, close, text))
            else:
                q = elem.qname.encode()
                edits.append((elem.start, elem.end, b"<" + q + b">" + text + b"</" + q + b">"))
            found = True
    return found


def _insertion(packet: bytes, scan: _Scan, props: Sequence[Prop]) -> tuple[int, int, bytes]:
    target = scan.descriptions[0] if scan.descriptions else None
    if target is None:
        return _new_description(packet, scan, props)
    tag = packet[target.start : target.tag_end]
    attrs = list(_ATTR.finditer(tag))
    sep = attrs[-1].group(1).decode() if attrs else " "
    at = target.start + len(tag.rstrip(b">").rstrip(b"/").rstrip())
    return at, at, _attributes(props, dict(target.scope), sep).encode()


def _new_description(packet: bytes, scan: _Scan, props: Sequence[Prop]) -> tuple[int, int, bytes]:
    if scan.rdf is None:
        msg = "no rdf:RDF element: this is XML but not an XMP packet"
        raise SidecarError(msg)
    rdf_prefix = scan.rdf.qname.partition(":")[0] + ":" if ":" in scan.rdf.qname else ""
    scope = dict(scan.rdf.scope)
    text = f'\n  <{rdf_prefix}Description {rdf_prefix}about=""{_attributes(props, scope, " ")}/>'
    return scan.rdf.tag_end, scan.rdf.tag_end, text.encode()


def _attributes(props: Sequence[Prop], scope: dict[str, str], sep: str) -> str:
    declarations: list[str] = []
    values: list[str] = []
    for prop in props:
        prefix = next((p for p, uri in scope.items() if uri == prop.uri and p), None)
        if prefix is None:
            prefix, n = prop.prefix, 0
            while prefix in scope:  # bound to another namespace here: pick a free prefix
                n += 1
                prefix = f"{prop.prefix}{n}"
            scope[prefix] = prop.uri
            declarations.append(f'{sep}xmlns:{prefix}="{escape(prop.uri)}"')
        values.append(f'{sep}{prefix}:{prop.name}="{escape(prop.value)}"')
    return "".join(declarations + values)


def _resolve(qname: str, scope: dict[str, str], *, element: bool = True) -> tuple[str, str]:
    """(URI, local name); an unprefixed attribute has no namespace, an element the default."""
    if qname == "xmlns" or qname.startswith("xmlns:"):
        return ("", "")
    prefix, _, local = qname.rpartition(":")
    if prefix:
        return (scope.get(prefix, ""), local)
    return (scope.get("", "") if element else "", local)


def _scan(packet: bytes) -> _Scan:
    if len(packet) > MAX_PACKET:
        msg = f"sidecar is {len(packet)} bytes, over the {MAX_PACKET}-byte limit for XMP"
        raise SidecarError(msg)
    try:
        packet.decode("utf-8")
    except UnicodeDecodeError:
        msg = "sidecar is not UTF-8 text"
        raise SidecarError(msg) from None
    scan = _Scan()
    stack: list[_Node] = []
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: object) -> NoReturn:
        msg = "sidecar declares a DOCTYPE or entities, which XMP never does; refusing to read it"
        raise SidecarError(msg)

    def start(qname: str, attrs: dict[str, str]) -> None:
        begin = parser.CurrentByteIndex
        scope = dict(stack[-1].scope) if stack else {"xml": "http://www.w3.org/XML/1998/namespace"}
        for key, value in attrs.items():
            if key == "xmlns" or key.startswith("xmlns:"):
                scope[key.partition(":")[2]] = value
        node = _Node(begin, _tag_end(packet, begin), qname, scope)
        node.rdf_attrs = any(_resolve(k, scope, element=False)[0] == RDF for k in attrs)
        parent = stack[-1] if stack else None
        if parent is not None:
            parent.children += 1
            uri_local = _resolve(qname, scope)
            parent_is_rdf = _resolve(parent.qname, parent.scope) == (RDF, "RDF")
            if parent_is_rdf and uri_local == (RDF, "Description") and not _is_blank(attrs, scope):
                scan.descriptions.append(node)
            elif parent in scan.descriptions:
                parent.props.append(node)
        if scan.rdf is None and _resolve(qname, scope) == (RDF, "RDF"):
            scan.rdf = node
        stack.append(node)

    def end(_: str) -> None:
        node = stack.pop()
        empty = packet[node.tag_end - 2 : node.tag_end] == b"/>"
        node.end = node.tag_end if empty else packet.index(b">", parser.CurrentByteIndex) + 1

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(_XPACKET_PI.sub(_blank_pi, packet), True)
    except xml.parsers.expat.ExpatError as exc:
        msg = f"sidecar is not well-formed XML ({exc}); refusing to overwrite it"
        raise SidecarError(msg) from None
    if scan.rdf is None:
        msg = "no rdf:RDF element: this is XML but not an XMP packet"
        raise SidecarError(msg)
    return scan


def _blank_pi(match: re.Match[bytes]) -> bytes:
    return b"<?xpacket" + b" " * (len(match.group(0)) - 11) + b"?>"


def _is_blank(attrs: dict[str, str], scope: dict[str, str]) -> bool:
    # rdf:nodeID Descriptions describe blank nodes (f-spot writes them), not the photo itself.
    return any(_resolve(k, scope, element=False) == (RDF, "nodeID") for k in attrs)


def _tag_end(packet: bytes, start: int) -> int:
    match = _START_TAG.match(packet, start)
    if match is None:  # expat accepted it, so this is a regex gap rather than bad input
        msg = f"sidecar has a start tag photoq cannot measure at byte {start}"
        raise SidecarError(msg)
    return match.end()
