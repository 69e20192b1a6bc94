"""Metadata locations inside ISO-BMFF files: HEIC/HEIF/AVIF items and Canon CR3 boxes.

Only the boxes that point at metadata are parsed (``meta``: ``pitm``, ``iinf``, ``iloc``,
``iprp``; ``moov/uuid`` for CR3). Pixel data is never touched, so reading EXIF from a 200 MP HEIC
costs the same as from a thumbnail. Every size is bounds-checked: hostile files (Exiv2's crash
reproducers) declare boxes larger than the file or nest them without end.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

from photoq.pipeline.metadata.tiff_ifd import Buffer

__all__ = ["BmffMeta", "Buffer", "iter_boxes", "read_bmff"]

_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
_MAX_BOXES = 4096


def iter_boxes(buf: Buffer, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload start, payload end) for each box in ``buf[start:end]``."""
    pos, seen = start, 0
    end = min(end, len(buf))
    while pos + 8 <= end and seen < _MAX_BOXES:
        seen += 1
        size, kind = struct.unpack_from(">I4s", buf, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack_from(">Q", buf, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield kind, pos + header, pos + size
        pos += size


@dataclass(slots=True)
class BmffMeta:
    """What an ISO-BMFF file says about its primary image and where its metadata lives."""

    exif: list[bytes] = field(default_factory=list)  # TIFF streams (HEIF: one; CR3: CMT1..CMT4)
    xmp: bytes | None = None
    size: tuple[int, int] | None = None  # ``ispe`` of the primary item: stored, before rotation
    cr3: bool = False


def read_bmff(buf: Buffer) -> BmffMeta:
    """Find EXIF, XMP and the primary image size in a HEIF/AVIF or CR3 file."""
    out = BmffMeta()
    for kind, start, end in iter_boxes(buf, 0, len(buf)):
        if kind == b"ftyp":
            out.cr3 = bytes(buf[start : start + 4]) == b"crx "
        elif kind == b"meta":
            _read_meta(buf, start + 4, end, out)
        elif kind == b"moov" and out.cr3:
            _read_cr3_moov(buf, start, end, out)
    return out


def _read_cr3_moov(buf: Buffer, start: int, end: int, out: BmffMeta) -> None:
    for kind, s, e in iter_boxes(buf, start, end):
        if kind == b"uuid" and bytes(buf[s : s + 16]) == _CANON_UUID:
            for sub, ss, se in iter_boxes(buf, s + 16, e):
                if sub in (b"CMT1", b"CMT2", b"CMT3", b"CMT4"):
                    out.exif.append(bytes(buf[ss:se]))


@dataclass(slots=True)
class _Item:
    kind: bytes = b""
    content_type: str = ""
    extents: list[tuple[int, int]] = field(default_factory=list)
    construction: int = 0


def _read_meta(buf: Buffer, start: int, end: int, out: BmffMeta) -> None:
    items: dict[int, _Item] = {}
    primary = -1
    props: list[tuple[bytes, int, int]] = []
    assoc: dict[int, list[int]] = {}
    idat = (0, 0)
    for kind, s, e in iter_boxes(buf, start, end):
        if kind == b"pitm":
            primary = struct.unpack_from(">H" if buf[s] == 0 else ">I", buf, s + 4)[0]
        elif kind == b"iinf":
            _read_iinf(buf, s, e, items)
        elif kind == b"iloc":
            _read_iloc(buf, s, e, items)
        elif kind == b"idat":
            idat = (s, e)
        elif kind == b"iprp":
            for sub, ss, se in iter_boxes(buf, s, e):
                if sub == b"ipco":
                    props = list(iter_boxes(buf, ss, se))
                elif sub == b"ipma":
                    _read_ipma(buf, ss, se, assoc)
    for idx in assoc.get(primary, []):
        if 0 < idx <= len(props) and props[idx - 1][0] == b"ispe":
            ps = props[idx - 1][1]
            w, h = struct.unpack_from(">II", buf, ps + 4)
            out.size = (int(w), int(h))
    for item in items.values():
        data = _item_bytes(buf, item, idat)
        if not data:
            continue
        if item.kind == b"Exif" and not out.exif and len(data) > 4:
            # The payload starts with the offset of the TIFF header after this 4-byte field.
            skip = 4 + struct.unpack_from(">I", data, 0)[0]
            out.exif.append(data[skip:] if skip < len(data) else data[4:])
        elif item.kind == b"mime" and "rdf+xml" in item.content_type and out.xmp is None:
            out.xmp = data


def _item_bytes(buf: Buffer, item: _Item, idat: tuple[int, int]) -> bytes:
    chunks: list[bytes] = []
    base = idat[0] if item.construction == 1 else 0
    for off, length in item.extents[:16]:
        s = base + off
        if length > (8 << 20) or s + length > len(buf):
            return b""
        chunks.append(bytes(buf[s : s + length]))
    return b"".join(chunks)


def _read_iinf(buf: Buffer, s: int, e: int, items: dict[int, _Item]) -> None:
    version = buf[s]
    first = s + 4 + (2 if version == 0 else 4)
    for kind, es, ee in iter_boxes(buf, first, e):
        if kind != b"infe" or ee - es < 12:
            continue
        ver = buf[es]
        if ver < 2:
            continue
        if ver == 2:
            item_id = struct.unpack_from(">H", buf, es + 4)[0]
            pos = es + 8
        else:
            item_id = struct.unpack_from(">I", buf, es + 4)[0]
            pos = es + 10
        item = items.setdefault(item_id, _Item())
        item.kind = bytes(buf[pos : pos + 4])
        if item.kind == b"mime":
            rest = bytes(buf[pos + 4 : ee]).split(b"\x00")
            item.content_type = rest[1].decode("latin-1") if len(rest) > 1 else ""


def _read_iloc(buf: Buffer, s: int, e: int, items: dict[int, _Item]) -> None:
    version = buf[s]
    sizes = struct.unpack_from(">H", buf, s + 4)[0]
    off_size, len_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    idx_size = sizes & 15 if version in (1, 2) else 0
    pos = s + 6
    if version < 2:
        count = struct.unpack_from(">H", buf, pos)[0]
        pos += 2
    else:
        count = struct.unpack_from(">I", buf, pos)[0]
        pos += 4

    def num(n: int) -> int:
        nonlocal pos
        if n == 0:
            return 0
        if pos + n > e:
            raise ValueError
        v = int.from_bytes(bytes(buf[pos : pos + n]), "big")
        pos += n
        return v

    try:
        for _ in range(min(count, _MAX_BOXES)):
            item_id = num(2 if version < 2 else 4)
            item = items.setdefault(item_id, _Item())
            if version in (1, 2):
                item.construction = num(2) & 15
            num(2)  # data reference index
            base = num(base_size)
            for _ in range(min(num(2), 64)):
                num(idx_size)
                off = num(off_size)
                item.extents.append((base + off, num(len_size)))
    except ValueError:
        return


def _read_ipma(buf: Buffer, s: int, e: int, assoc: dict[int, list[int]]) -> None:
    version, flags = buf[s], int.from_bytes(bytes(buf[s + 1 : s + 4]), "big")
    count = struct.unpack_from(">I", buf, s + 4)[0]
    pos = s + 8
    for _ in range(min(count, _MAX_BOXES)):
        if pos + 3 > e:
            return
        if version < 1:
            item_id = struct.unpack_from(">H", buf, pos)[0]
            pos += 2
        else:
            item_id = struct.unpack_from(">I", buf, pos)[0]
            pos += 4
        n = buf[pos]
        pos += 1
        wide = flags & 1
        props = assoc.setdefault(item_id, [])
        for _ in range(n):
            if pos + (2 if wide else 1) > e:
                return
            if wide:
                props.append(struct.unpack_from(">H", buf, pos)[0] & 0x7FFF)
                pos += 2
            else:
                props.append(buf[pos] & 0x7F)
                pos += 1
