"""A small, tolerant reader of TIFF image file directories (IFDs).

EXIF is a TIFF structure wherever it lives: in a JPEG APP1 segment, a HEIC ``Exif`` item, a PNG
``eXIf`` chunk, or as the whole file for TIFF, DNG, CR2, NEF, ARW, ORF, RW2 and PEF. Pillow cannot
open most RAW files, and the files this service meets include hostile ones (Exiv2's crash
reproducers), so this reader never trusts a count or an offset: every read is bounds-checked,
every directory is visited once, and sizes are capped. A damaged entry is skipped, not fatal.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from typing import TypeAlias

Value: TypeAlias = bytes | str | tuple[int, ...] | tuple[float, ...]
Buffer: TypeAlias = bytes | mmap.mmap

# Element sizes of the TIFF field types; unknown types are skipped.
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_MAX_ENTRIES = 1000  # real IFDs have < 300; more means we are reading garbage
_MAX_NUMBERS = 4096  # numeric arrays longer than this are never needed for metadata
_MAX_BYTES = 1 << 20  # opaque blobs (maker notes, XMP) above 1 MiB are skipped
_MAX_IFDS = 64  # guards against IFD chains that loop or fan out without end

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
SUB_IFDS = 0x014A


@dataclass(slots=True)
class Ifd:
    """One directory: tag → decoded value, plus where opaque values sit (for maker notes)."""

    values: dict[int, Value] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)


class TiffReader:
    """Decode IFDs from ``buf`` where TIFF offsets are relative to ``base``.

    ``little`` is the byte order; maker notes reuse a reader with their own base and order.
    """

    def __init__(self, buf: Buffer, base: int, *, little: bool) -> None:
        self.buf = buf
        self.base = base
        self.order = "<" if little else ">"
        self._seen: set[int] = set()

    @classmethod
    def from_header(cls, buf: Buffer, base: int = 0) -> tuple[TiffReader, int] | None:
        """Parse the 8-byte TIFF header at ``base``; return the reader and IFD0's offset."""
        head = bytes(buf[base : base + 8])
        if len(head) < 8 or head[:2] not in (b"II", b"MM"):
            return None
        reader = cls(buf, base, little=head[:2] == b"II")
        first = struct.unpack(reader.order + "I", head[4:8])[0]
        return reader, first

    def u16(self, pos: int) -> int | None:
        if pos < 0 or pos + 2 > len(self.buf):
            return None
        return int(struct.unpack_from(self.order + "H", self.buf, pos)[0])

    def u32(self, pos: int) -> int | None:
        if pos < 0 or pos + 4 > len(self.buf):
            return None
        return int(struct.unpack_from(self.order + "I", self.buf, pos)[0])

    def read_ifd(self, offset: int) -> tuple[Ifd, int]:
        """Read the IFD at TIFF offset ``offset``; return it and the next IFD's offset (0: none)."""
        ifd = Ifd()
        pos = self.base + offset
        if offset <= 0 or pos in self._seen or len(self._seen) >= _MAX_IFDS:
            return ifd, 0
        self._seen.add(pos)
        count = self.u16(pos)
        if count is None or count > _MAX_ENTRIES:
            return ifd, 0
        for i in range(count):
            self._read_entry(ifd, pos + 2 + 12 * i)
        nxt = self.u32(pos + 2 + 12 * count)
        return ifd, nxt or 0

    def _read_entry(self, ifd: Ifd, pos: int) -> None:
        if pos + 12 > len(self.buf):
            return
        tag, typ, count = struct.unpack_from(self.order + "HHI", self.buf, pos)
        size = _TYPE_SIZES.get(typ)
        if size is None or count == 0:
            return
        nbytes = size * count
        if nbytes > _MAX_BYTES or (typ not in (1, 2, 6, 7) and count > _MAX_NUMBERS):
            return
        if nbytes <= 4:
            start = pos + 8
        else:
            rel = self.u32(pos + 8)
            if rel is None:
                return
            start = self.base + rel
        if start < 0 or start + nbytes > len(self.buf):
            return
        raw = bytes(self.buf[start : start + nbytes])
        value = self._decode(typ, count, raw)
        if value is not None:
            ifd.values[tag] = value
            ifd.offsets[tag] = start

    def _decode(self, typ: int, count: int, raw: bytes) -> Value | None:
        o = self.order
        if typ == 2:
            return raw.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
        if typ == 7:
            return raw
        if typ == 1:
            return tuple(raw)
        if typ == 6:
            return struct.unpack(f"{count}b", raw)
        if typ == 3:
            return struct.unpack(f"{o}{count}H", raw)
        if typ == 8:
            return struct.unpack(f"{o}{count}h", raw)
        if typ in (4, 13):
            return struct.unpack(f"{o}{count}I", raw)
        if typ == 9:
            return struct.unpack(f"{o}{count}i", raw)
        if typ in (5, 10):
            nums = struct.unpack(f"{o}{2 * count}{'I' if typ == 5 else 'i'}", raw)
            return tuple(
                (nums[i] / nums[i + 1]) if nums[i + 1] else float("nan")
                for i in range(0, len(nums), 2)
            )
        if typ == 11:
            return struct.unpack(f"{o}{count}f", raw)
        if typ == 12:
            return struct.unpack(f"{o}{count}d", raw)
        return None

    def sub_ifd(self, parent: Ifd, tag: int) -> Ifd:
        """Follow a pointer tag (Exif, GPS, Interop) of ``parent``; empty when absent or bad."""
        ptr = parent.values.get(tag)
        if isinstance(ptr, tuple) and ptr and isinstance(ptr[0], int):
            return self.read_ifd(ptr[0])[0]
        if isinstance(ptr, bytes) and len(ptr) == 4:  # some writers store the pointer UNDEFINED
            return self.read_ifd(int(struct.unpack(self.order + "I", ptr)[0]))[0]
        return Ifd()


@dataclass(slots=True)
class TiffTree:
    """The directories that carry photo metadata, read from one TIFF structure."""

    reader: TiffReader
    ifd0: Ifd
    exif: Ifd
    gps: Ifd
    # IFD1 and later in the chain, then SubIFDs: where RAW files keep their full-size image.
    others: list[Ifd]


def read_tiff_tree(buf: Buffer, base: int = 0, *, chain: bool = True) -> TiffTree | None:
    """Read IFD0 with its Exif and GPS sub-IFDs (and, with ``chain``, the other image IFDs)."""
    parsed = TiffReader.from_header(buf, base)
    if parsed is None:
        return None
    reader, first = parsed
    ifd0, nxt = reader.read_ifd(first)
    exif = reader.sub_ifd(ifd0, EXIF_IFD)
    gps = reader.sub_ifd(ifd0, GPS_IFD)
    others: list[Ifd] = []
    if chain:
        while nxt and len(others) < 8:
            ifd, nxt = reader.read_ifd(nxt)
            others.append(ifd)
        for ifd in [ifd0, *others]:
            subs = ifd.values.get(SUB_IFDS)
            if isinstance(subs, tuple):
                others.extend(reader.read_ifd(int(p))[0] for p in subs[:8] if isinstance(p, int))
    return TiffTree(reader, ifd0, exif, gps, others)
