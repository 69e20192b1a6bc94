"""Find the metadata blocks of a file, whatever its container.

Each reader walks only the container's directory structures (JPEG segments up to the scan, PNG and
WebP chunks, ISO-BMFF boxes, RAW headers) and returns the TIFF/EXIF trees, the XMP packet and the
stored image size. Decoding those into values is :mod:`photoq.pipeline.metadata.exif`'s job.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from photoq.pipeline.metadata import bmff, ciff
from photoq.pipeline.metadata.tiff_ifd import Ifd, TiffTree, read_tiff_tree

Buffer = bmff.Buffer

_XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(slots=True)
class Found:
    """Metadata blocks of one file, before interpretation."""

    trees: list[TiffTree] = field(default_factory=list)  # first wins when values clash
    xmp: bytes | None = None
    size: tuple[int, int] | None = None  # stored size per the container, when it says
    extra: dict[str, object] = field(default_factory=dict)  # maker containers (CRW …)
    raw_size_ifds: list[Ifd] = field(default_factory=list)  # RAW image IFDs, for the size


def read_container(buf: Buffer, fmt: str | None) -> Found:
    """Dispatch on the sniffed format; unknown formats give an empty :class:`Found`."""
    out = Found()
    if fmt == "jpeg":
        _read_jpeg(buf, 0, out)
    elif fmt in ("tiff", "cr2", "orf", "rw2"):
        _read_tiff_file(buf, out)
    elif fmt in ("heif", "avif", "cr3"):
        _read_bmff(buf, out)
    elif fmt == "png":
        _read_png(buf, out)
    elif fmt == "webp":
        _read_webp(buf, out)
    elif fmt == "crw":
        out.extra = ciff.read_ciff(buf)
    elif fmt == "raf":
        _read_raf(buf, out)
    elif fmt == "mrw":
        _read_mrw(buf, out)
    elif fmt == "gif" and len(buf) >= 10:
        out.size = struct.unpack_from("<HH", buf, 6)
    elif fmt == "bmp" and len(buf) >= 26:
        w, h = struct.unpack_from("<ii", buf, 18)
        out.size = (w, abs(h))  # a negative height means rows are stored top-down
    return out


def _read_jpeg(buf: Buffer, start: int, out: Found, *, want_size: bool = True) -> None:
    pos, end = start + 2, len(buf)
    while pos + 4 <= end:
        if buf[pos] != 0xFF:
            return  # lost sync: a damaged file; keep what was found
        marker = buf[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        length = struct.unpack_from(">H", buf, pos + 2)[0]
        seg = pos + 4
        if marker == 0xE1:
            if bytes(buf[seg : seg + 6]) == b"Exif\x00\x00":
                tree = read_tiff_tree(buf, seg + 6, chain=False)
                if tree is not None:
                    out.trees.append(tree)
            elif bytes(buf[seg : seg + len(_XMP_SIG)]) == _XMP_SIG and out.xmp is None:
                out.xmp = bytes(buf[seg + len(_XMP_SIG) : pos + 2 + length])
        elif marker == 0xED and bytes(buf[seg : seg + 14]) == b"Photoshop 3.0\x00":
            _read_photoshop(bytes(buf[seg + 14 : pos + 2 + length]), out)
        elif marker in _SOF_MARKERS and want_size and out.size is None and seg + 5 <= end:
            h, w = struct.unpack_from(">HH", buf, seg + 1)
            out.size = (int(w), int(h))
        elif marker == 0xDA or marker == 0xD9:
            return
        pos += 2 + length


def _read_photoshop(data: bytes, out: Found) -> None:
    """Pick IPTC DateCreated/TimeCreated out of Photoshop image resources (JPEG APP13)."""
    pos = 0
    while pos + 12 <= len(data) and data[pos : pos + 4] == b"8BIM":
        res_id = struct.unpack_from(">H", data, pos + 4)[0]
        name_len = data[pos + 6]
        pos += 7 + name_len + ((name_len + 1) & 1)
        if pos + 4 > len(data):
            return
        size = struct.unpack_from(">I", data, pos)[0]
        if res_id == 0x0404:
            _read_iptc(data[pos + 4 : pos + 4 + size], out)
            return
        pos += 4 + size + (size & 1)


def _read_iptc(data: bytes, out: Found) -> None:
    fields: dict[int, str] = {}
    pos = 0
    while pos + 5 <= len(data) and data[pos] == 0x1C:
        record, dataset, size = (
            data[pos + 1],
            data[pos + 2],
            struct.unpack_from(">H", data, pos + 3)[0],
        )
        if record == 2 and dataset in (55, 60):
            fields.setdefault(dataset, data[pos + 5 : pos + 5 + size].decode("latin-1"))
        pos += 5 + size
    date, time = fields.get(55, ""), fields.get(60, "")
    if len(date) == 8 and len(time) >= 6 and (date + time[:6]).isdigit():
        out.extra["iptc_datetime"] = (
            f"{date[:4]}:{date[4:6]}:{date[6:]} {time[:2]}:{time[2:4]}:{time[4:6]}"
        )
        if len(time) == 11 and time[6] in "+-":
            out.extra["iptc_offset"] = f"{time[6:9]}:{time[9:]}"


def _read_tiff_file(buf: Buffer, out: Found) -> None:
    tree = read_tiff_tree(buf, 0)
    if tree is None:
        return
    out.trees.append(tree)
    out.raw_size_ifds = [tree.ifd0, *tree.others]
    xmp = tree.ifd0.values.get(0x02BC)  # XMLPacket: DNG and Lightroom TIFFs keep XMP here
    if isinstance(xmp, tuple):
        out.xmp = bytes(v & 0xFF for v in xmp if isinstance(v, int))
    elif isinstance(xmp, bytes | str):
        out.xmp = xmp.encode() if isinstance(xmp, str) else xmp
    # Panasonic RW2 keeps its EXIF in an embedded JPEG (tag JpgFromRaw), not in IFD0.
    jpg_at = tree.ifd0.offsets.get(0x002E)
    if jpg_at is not None and bytes(buf[jpg_at : jpg_at + 2]) == b"\xff\xd8":
        _read_jpeg(buf, jpg_at, out, want_size=False)


def _read_bmff(buf: Buffer, out: Found) -> None:
    meta = bmff.read_bmff(buf)
    for stream in meta.exif:
        data = stream[6:] if stream.startswith(b"Exif\x00\x00") else stream
        tree = read_tiff_tree(data, 0, chain=False)
        if tree is not None:
            out.trees.append(tree)
    if meta.cr3 and len(out.trees) >= 2:
        # CR3 splits one EXIF into separate TIFF streams: CMT1 = IFD0, CMT2 = Exif IFD.
        first, second = out.trees[0], out.trees[1]
        first.exif = second.ifd0
        if len(out.trees) >= 4:
            first.gps = out.trees[3].ifd0
        out.extra["canon_makernote"] = out.trees[2] if len(out.trees) >= 3 else None
        out.trees = [first]
    out.xmp = meta.xmp
    out.size = meta.size
    out.extra["cr3"] = meta.cr3


def _read_png(buf: Buffer, out: Found) -> None:
    pos, end, n = 8, len(buf), 0
    while pos + 12 <= end and n < 10_000:
        n += 1
        length, kind = struct.unpack_from(">I4s", buf, pos)
        data_at = pos + 8
        if data_at + length > end:
            return
        if kind == b"IHDR" and length >= 8:
            w, h = struct.unpack_from(">II", buf, data_at)
            out.size = (int(w), int(h))
        elif kind == b"eXIf":
            tree = read_tiff_tree(bytes(buf[data_at : data_at + length]), 0, chain=False)
            if tree is not None:
                out.trees.append(tree)
        elif kind == b"iTXt" and bytes(buf[data_at : data_at + 17]) == b"XML:com.adobe.xmp":
            out.xmp = bytes(buf[data_at : data_at + length])
        elif kind in (b"IDAT", b"IEND") and out.size is not None and kind == b"IEND":
            return
        pos = data_at + length + 4


def _read_webp(buf: Buffer, out: Found) -> None:
    end = min(len(buf), 8 + struct.unpack_from("<I", buf, 4)[0])
    pos = 12
    while pos + 8 <= end:
        kind, length = struct.unpack_from("<4sI", buf, pos)
        d = pos + 8
        if d + length > end:
            return
        if kind == b"VP8X" and length >= 10:
            w = int.from_bytes(bytes(buf[d + 4 : d + 7]), "little") + 1
            h = int.from_bytes(bytes(buf[d + 7 : d + 10]), "little") + 1
            out.size = (w, h)
        elif kind == b"VP8 " and out.size is None and length >= 10:
            w, h = struct.unpack_from("<HH", buf, d + 6)
            out.size = (int(w) & 0x3FFF, int(h) & 0x3FFF)
        elif kind == b"VP8L" and out.size is None and length >= 5:
            bits = int.from_bytes(bytes(buf[d + 1 : d + 5]), "little")
            out.size = ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        elif kind == b"EXIF":
            data = bytes(buf[d : d + length])
            data = data[6:] if data.startswith(b"Exif\x00\x00") else data
            tree = read_tiff_tree(data, 0, chain=False)
            if tree is not None:
                out.trees.append(tree)
        elif kind == b"XMP ":
            out.xmp = bytes(buf[d : d + length])
        pos = d + length + (length & 1)


def _read_raf(buf: Buffer, out: Found) -> None:
    # The RAF header points at a complete camera JPEG that carries the EXIF.
    if len(buf) < 100:
        return
    jpg_at, _jpg_len = struct.unpack_from(">II", buf, 84)
    if 0 < jpg_at < len(buf) and bytes(buf[jpg_at : jpg_at + 2]) == b"\xff\xd8":
        _read_jpeg(buf, jpg_at, out, want_size=False)
    # Fuji's own directory (pointed at from offset 92) holds the raw image dimensions.
    dir_at = struct.unpack_from(">I", buf, 92)[0]
    if dir_at > 0 and dir_at + 4 <= len(buf):
        count = struct.unpack_from(">I", buf, dir_at)[0]
        pos = dir_at + 4
        for _ in range(min(count, 256)):
            if pos + 4 > len(buf):
                break
            tag, size = struct.unpack_from(">HH", buf, pos)
            # 0x111 (RawImageCroppedSize) is what ExifTool reports; 0x100 is the full sensor.
            if tag in (0x0100, 0x0111) and size == 4 and pos + 8 <= len(buf):
                h, w = struct.unpack_from(">HH", buf, pos + 4)
                out.size = (int(w), int(h))
            pos += 4 + size


def _read_mrw(buf: Buffer, out: Found) -> None:
    end = min(len(buf), 8 + struct.unpack_from(">I", buf, 4)[0])
    pos = 8
    while pos + 8 <= end:
        kind, length = struct.unpack_from(">4sI", buf, pos)
        d = pos + 8
        if kind == b"\x00PRD" and d + 16 <= len(buf):
            h, w = struct.unpack_from(">HH", buf, d + 12)  # ImageHeight/Width, after sensor
            out.size = (int(w), int(h))
        elif kind == b"\x00TTW":
            tree = read_tiff_tree(bytes(buf[d : d + length]), 0, chain=False)
            if tree is not None:
                out.trees.append(tree)
        pos = d + length
