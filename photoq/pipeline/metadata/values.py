"""Turn raw metadata blocks into an :class:`ExifRecord`, converting as ExifTool does.

Each field is taken from the first source that has it: the Exif sub-IFD, IFD0, a maker container
(CRW heap, Canon/Nikon/Casio maker notes), then XMP. A malformed value is dropped, never raised:
a camera's odd EXIF must not fail a photo whose pixels are fine.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct

from photoq.pipeline.metadata.containers import Buffer, Found, read_container
from photoq.pipeline.metadata.makernotes import MakerValues, canon_values, read_makernote
from photoq.pipeline.metadata.record import ExifRecord
from photoq.pipeline.metadata.tiff_ifd import Ifd, TiffTree, Value
from photoq.pipeline.metadata.xmp import parse_xmp, xmp_gps, xmp_number

_DATE_RE = re.compile(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[T ](\d{2}):(\d{2}):?(\d{2})?")


def build_record(buf: Buffer, fmt: str) -> ExifRecord:
    """Read ``buf`` (a whole file of sniffed format ``fmt``) into a record."""
    try:
        found = read_container(buf, fmt)
    except (struct.error, ValueError, IndexError, OverflowError):
        found = Found()  # a container too damaged to walk has no readable metadata
    return _assemble(found, fmt)


def _assemble(found: Found, fmt: str) -> ExifRecord:
    tree = found.trees[0] if found.trees else None
    # RW2 and RAF keep part of their EXIF in an embedded JPEG: the first tree wins per tag.
    ifd0 = _merged([t.ifd0 for t in found.trees])
    exif = _merged([t.exif for t in found.trees])
    gps = next((t.gps for t in found.trees if t.gps.values), Ifd())
    xmp = parse_xmp(found.xmp) if found.xmp else {}
    extra = found.extra

    make = _text(ifd0, 0x010F) or _str(extra.get("make")) or xmp.get("tiff:Make")
    maker = _maker(tree, found, make)

    def pick(tag: int, *, also_ifd0: bool = True) -> Value | None:
        value = exif.values.get(tag)
        if value is None and also_ifd0:
            value = ifd0.values.get(tag)
        return value

    dto = _text_value(pick(0x9003))
    capture = _parse_date(dto) if dto else None
    if capture is None:
        capture = _date_obj(extra.get("capture_time"))
    if capture is None and dto is None:
        capture = _parse_date(_str(extra.get("iptc_datetime")))
    if capture is None and dto is None:
        capture = _parse_date(xmp.get("exif:DateTimeOriginal"))
    lat, lon = _gps(gps)
    if lat is None:
        lat, lon = xmp_gps(xmp.get("exif:GPSLatitude")), xmp_gps(xmp.get("exif:GPSLongitude"))
    width, height = _stored_size(found, fmt, tree)
    flash = _num(pick(0x9209))
    xmp_fired = xmp.get("exif:Fired")
    iso = _num(pick(0x8827))
    if iso is None:
        iso = maker.iso if maker.iso is not None else _float(extra.get("iso"))
    if iso is None:
        iso = xmp_number(
            xmp.get("exif:ISOSpeedRatings") or xmp.get("exifEX:PhotographicSensitivity")
        )
    orientation = _num(ifd0.values.get(0x0112))
    if orientation is None:
        orientation = xmp_number(xmp.get("tiff:Orientation"))
    return ExifRecord(
        make=make,
        model=_text(ifd0, 0x0110) or _str(extra.get("model")) or xmp.get("tiff:Model"),
        lens=_text(exif, 0xA434)
        or maker.lens
        or xmp.get("exifEX:LensModel")
        or xmp.get("aux:Lens"),
        capture_time=capture,
        subsec=_text_value(pick(0x9291)),
        utc_offset=_text_value(pick(0x9011)) or _str(extra.get("iptc_offset")),
        exposure_time=_first(
            _num(pick(0x829A)),
            maker.exposure_time,
            _float(extra.get("exposure_time")),
            xmp_number(xmp.get("exif:ExposureTime")),
        ),
        f_number=_first(
            _num(pick(0x829D)),
            maker.f_number,
            _float(extra.get("f_number")),
            xmp_number(xmp.get("exif:FNumber")),
        ),
        iso=round(iso) if iso is not None and math.isfinite(iso) else None,
        focal_length=_first(
            _num(pick(0x920A)),
            maker.focal_length,
            _float(extra.get("focal_length")),
            xmp_number(xmp.get("exif:FocalLength")),
        ),
        focal_length_35mm=_first(
            _num(pick(0xA405)), xmp_number(xmp.get("exif:FocalLengthIn35mmFilm"))
        ),
        flash_fired=bool(int(flash) & 1)
        if flash is not None
        else (xmp_fired.lower() == "true" if xmp_fired else None),
        orientation=int(orientation) if orientation in (1, 2, 3, 4, 5, 6, 7, 8) else None,
        width=width,
        height=height,
        gps_lat=lat,
        gps_lon=lon,
        software=_text(ifd0, 0x0131) or xmp.get("tiff:Software") or xmp.get("xmp:CreatorTool"),
        serial=_text(exif, 0xA431)
        or maker.serial
        or xmp.get("exifEX:BodySerialNumber")
        or xmp.get("aux:SerialNumber"),
        shutter_count=maker.shutter_count,
    )


def _maker(tree: TiffTree | None, found: Found, make: str | None) -> MakerValues:
    cr3_note = found.extra.get("canon_makernote")
    if isinstance(cr3_note, TiffTree):
        return canon_values(cr3_note.ifd0)
    if tree is None:
        return MakerValues()
    try:
        return read_makernote(tree.reader, tree.exif, make)
    except (struct.error, ValueError, IndexError, OverflowError):
        return MakerValues()


def _stored_size(found: Found, fmt: str, tree: TiffTree | None) -> tuple[int | None, int | None]:
    """The image size ExifTool reports (its Composite:ImageSize), before rotation."""
    if "width" in found.extra:
        return _int(found.extra.get("width")), _int(found.extra.get("height"))
    exif_w = _num(tree.exif.values.get(0xA002)) if tree else None
    exif_h = _num(tree.exif.values.get(0xA003)) if tree else None
    if (fmt == "cr2" or found.extra.get("cr3")) and exif_w and exif_h:
        return int(exif_w), int(exif_h)
    if found.size is not None:
        return found.size
    if fmt == "rw2" and tree is not None:
        borders = [_num(tree.ifd0.values.get(t)) for t in (0x04, 0x05, 0x06, 0x07)]
        top, left, bottom, right = borders
        if None not in borders:
            return int(right or 0) - int(left or 0), int(bottom or 0) - int(top or 0)
    if tree is None:
        return None, None
    candidates = [tree.ifd0, *found.raw_size_ifds[1:]] if found.raw_size_ifds else [tree.ifd0]
    main = next((i for i in candidates if _num(i.values.get(0x00FE)) == 0), tree.ifd0)
    w, h = _num(main.values.get(0x0100)), _num(main.values.get(0x0101))
    return (int(w) if w is not None else None), (int(h) if h is not None else None)


def _merged(ifds: list[Ifd]) -> Ifd:
    if len(ifds) == 1:
        return ifds[0]
    out = Ifd()
    for ifd in reversed(ifds):
        out.values.update(ifd.values)
        out.offsets.update(ifd.offsets)
    return out


def _gps(gps: Ifd) -> tuple[float | None, float | None]:
    def coord(tag: int, ref_tag: int, negative: str) -> float | None:
        value = gps.values.get(tag)
        if not isinstance(value, tuple) or not value:
            return None
        parts = [float(v) for v in value[:3]]
        if any(not math.isfinite(p) for p in parts):
            return None
        deg = sum(p / 60.0**i for i, p in enumerate(parts))
        ref = gps.values.get(ref_tag)
        return -deg if isinstance(ref, str) and ref[:1].upper() == negative else deg

    return coord(0x0002, 0x0001, "S"), coord(0x0004, 0x0003, "W")


def _parse_date(text: str | None) -> dt.datetime | None:
    match = _DATE_RE.match(text or "")
    if not match:
        return None
    try:
        y, mo, d, h, mi, s = (int(g or 0) for g in match.groups())
        return dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None  # "0000:00:00 00:00:00" and similar placeholders


def _date_obj(value: object) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None


def _text(ifd: Ifd, tag: int) -> str | None:
    return _text_value(ifd.values.get(tag))


def _text_value(value: Value | None) -> str | None:
    if isinstance(value, bytes):
        value = value.split(b"\x00", 1)[0].decode("utf-8", "replace")
    if isinstance(value, str):
        return value.strip() or None
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _num(value: Value | None) -> float | None:
    if isinstance(value, tuple) and value and isinstance(value[0], int | float):
        number = float(value[0])
        return number if math.isfinite(number) else None
    return None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
