"""Canon CRW (CIFF) metadata: make, model, capture time, exposure and size.

CRW predates EXIF-in-RAW: its values sit in a heap of typed records (ExifTool's CanonRaw
tables). Only the handful of records photoq reports are decoded; the heap walk is depth- and
count-limited because the Exiv2 crash reproducers are mostly CRW files.
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import TYPE_CHECKING

from photoq.pipeline.metadata.makernotes import canon_from_arrays

if TYPE_CHECKING:
    from photoq.pipeline.metadata import bmff

_MAX_DEPTH = 6
_MAX_ENTRIES = 512


def read_ciff(buf: bmff.Buffer) -> dict[str, object]:
    """Values keyed by :class:`~photoq.pipeline.metadata.exif.ExifRecord` field name."""
    if len(buf) < 26:
        return {}
    order = "<" if bytes(buf[:2]) == b"II" else ">"
    header_len = struct.unpack_from(order + "I", buf, 2)[0]
    records: dict[int, bytes] = {}
    _walk(buf, order, header_len, len(buf), records, 0)
    out: dict[str, object] = {}
    make_model = records.get(0x080A)
    if make_model:
        parts = make_model.split(b"\x00")
        out["make"] = parts[0].decode("latin-1").strip() or None
        if len(parts) > 1:
            out["model"] = parts[1].decode("latin-1").strip() or None
    stamp = records.get(0x180E)
    if stamp and len(stamp) >= 4:
        secs = struct.unpack_from(order + "I", stamp)[0]
        # ExifTool converts this Unix time as UTC, whatever the time-zone fields say.
        out["capture_time"] = dt.datetime.fromtimestamp(secs, dt.UTC).replace(tzinfo=None)
    info = records.get(0x1810)
    if info and len(info) >= 8:
        w, h = struct.unpack_from(order + "II", info)
        out["width"], out["height"] = int(w), int(h)
    settings = _shorts(records.get(0x102D), order)
    shot = _shorts(records.get(0x102A), order)
    canon = canon_from_arrays(settings, shot)
    out["iso"] = canon.iso
    out["exposure_time"] = canon.exposure_time
    out["f_number"] = canon.f_number
    focal = _shorts(records.get(0x1029), order)  # 0x5029 less its in-record flag
    if focal and len(focal) > 1:
        units = settings[25] if settings and len(settings) > 25 and settings[25] else 1
        out["focal_length"] = focal[1] / units
    return {k: v for k, v in out.items() if v is not None}


def _shorts(raw: bytes | None, order: str) -> tuple[int, ...] | None:
    if not raw or len(raw) < 2:
        return None
    return struct.unpack(f"{order}{len(raw) // 2}H", raw[: len(raw) // 2 * 2])


def _walk(
    buf: bmff.Buffer, order: str, start: int, end: int, out: dict[int, bytes], depth: int
) -> None:
    if depth > _MAX_DEPTH or end - start < 6 or end > len(buf) or start < 0:
        return
    table = start + struct.unpack_from(order + "I", buf, end - 4)[0]
    if table + 2 > end:
        return
    count = struct.unpack_from(order + "H", buf, table)[0]
    for i in range(min(count, _MAX_ENTRIES)):
        pos = table + 2 + 10 * i
        if pos + 10 > end:
            return
        tag, size, offset = struct.unpack_from(order + "HII", buf, pos)
        kind = tag & 0x3FFF
        if tag & 0xC000 == 0x4000:  # value stored in the entry itself
            out.setdefault(kind, bytes(buf[pos + 2 : pos + 10]))
            continue
        s = start + offset
        if s + size > end:
            continue
        if (tag >> 8) & 0x38 in (0x28, 0x30):
            _walk(buf, order, s, s + size, out, depth + 1)
        elif size <= 4096:
            out.setdefault(kind, bytes(buf[s : s + size]))
