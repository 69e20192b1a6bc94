"""The few maker-note values photoq needs when the standard EXIF tags are missing.

Older Canon compacts write no ExifIFD ISO (ExifTool derives it from CameraSettings/ShotInfo),
Nikon bodies of the D70 era keep ISO only in their maker note, and Canon stores the lens name
there. Conversions follow ExifTool's Canon.pm and Nikon.pm so values agree with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from photoq.pipeline.metadata.tiff_ifd import Ifd, TiffReader, Value

MAKERNOTE = 0x927C


@dataclass(frozen=True, slots=True)
class MakerValues:
    """Values from a maker note; None where the note does not say."""

    iso: float | None = None
    lens: str | None = None
    serial: str | None = None
    shutter_count: int | None = None
    exposure_time: float | None = None
    f_number: float | None = None
    focal_length: float | None = None


def canon_ev(val: int) -> float:
    """Canon's APEX encoding, with its 1/3- and 2/3-stop codes (ExifTool ``CanonEv``)."""
    sign = -1 if val < 0 else 1
    val = abs(val)
    frac: float = val & 0x1F
    val -= int(frac)
    if frac == 0x0C:
        frac = 0x20 / 3
    elif frac == 0x14:
        frac = 0x40 / 3
    return sign * (val + frac) / 0x20


def _signed(v: int) -> int:
    return v - 0x10000 if v >= 0x8000 else v


def canon_from_arrays(settings: Value | None, shot: Value | None) -> MakerValues:
    """ISO, aperture and shutter from Canon CameraSettings (0x0001) and ShotInfo (0x0004)."""
    iso: float | None = None
    if isinstance(settings, tuple) and len(settings) > 16:
        cam = int(settings[16])
        if cam & 0x4000 and cam != 0x7FFF:
            iso = cam & 0x3FFF
        elif cam in (16, 17, 18, 19, 20):
            iso = {16: 50, 17: 100, 18: 200, 19: 400, 20: 800}[cam]
    exposure = f_number = None
    if isinstance(shot, tuple) and len(shot) > 22:
        if iso is None:
            auto = math.exp(_signed(int(shot[1])) / 32 * math.log(2)) * 100
            base = math.exp(_signed(int(shot[2])) / 32 * math.log(2)) * 100 / 32
            iso = base * auto / 100
        if shot[21]:
            f_number = math.exp(canon_ev(_signed(int(shot[21]))) * math.log(2) / 2)
        if shot[22]:
            exposure = math.exp(-canon_ev(_signed(int(shot[22]))) * math.log(2))
    return MakerValues(iso=iso, exposure_time=exposure, f_number=f_number)


def read_makernote(reader: TiffReader, exif: Ifd, make: str | None) -> MakerValues:
    """Decode the maker note of ``exif`` for the brands photoq knows; empty otherwise."""
    at = exif.offsets.get(MAKERNOTE)
    note = exif.values.get(MAKERNOTE)
    if at is None or not isinstance(note, bytes) or not make:
        return MakerValues()
    brand = make.split()[0].upper()
    try:
        if brand == "CANON":
            return _canon(TiffReader(reader.buf, reader.base, little=reader.order == "<"), at)
        if brand == "NIKON":
            return _nikon(reader, at, note)
        if brand.startswith("CASIO"):
            return _casio(reader, at, note)
    except (ValueError, OverflowError, IndexError):
        return MakerValues()
    return MakerValues()


def _canon(reader: TiffReader, at: int) -> MakerValues:
    ifd, _ = reader.read_ifd(at - reader.base)
    return canon_values(ifd)


def canon_values(ifd: Ifd) -> MakerValues:
    """Interpret a Canon maker-note IFD (also CR3's CMT3 box)."""
    base = canon_from_arrays(ifd.values.get(0x0001), ifd.values.get(0x0004))
    lens = ifd.values.get(0x0095)
    serial = ifd.values.get(0x000C)
    return MakerValues(
        iso=base.iso,
        lens=lens if isinstance(lens, str) and lens else None,
        serial=str(serial[0]) if isinstance(serial, tuple) and serial else None,
        exposure_time=base.exposure_time,
        f_number=base.f_number,
    )


def _nikon(reader: TiffReader, at: int, note: bytes) -> MakerValues:
    if note.startswith(b"Nikon\x00\x02"):
        # Type 3: a complete TIFF header of its own 10 bytes in; offsets are relative to it.
        parsed = TiffReader.from_header(reader.buf, at + 10)
        if parsed is None:
            return MakerValues()
        sub, first = parsed
        ifd, _ = sub.read_ifd(first)
    elif note.startswith(b"Nikon\x00\x01"):
        ifd, _ = reader.read_ifd(at + 8 - reader.base)
    else:
        ifd, _ = reader.read_ifd(at - reader.base)
    iso = ifd.values.get(0x0002)
    serial = ifd.values.get(0x001D)
    count = ifd.values.get(0x00A7)
    return MakerValues(
        iso=float(iso[1]) if isinstance(iso, tuple) and len(iso) > 1 else None,
        serial=serial if isinstance(serial, str) and serial else None,
        shutter_count=int(count[0]) if isinstance(count, tuple) and count else None,
    )


def _casio(reader: TiffReader, at: int, note: bytes) -> MakerValues:
    if note.startswith(b"QVC\x00"):
        # Type 2: big-endian IFD after a 6-byte header; ISO is tag 0x3014.
        sub = TiffReader(reader.buf, reader.base, little=False)
        ifd, _ = sub.read_ifd(at + 6 - reader.base)
        iso = ifd.values.get(0x3014)
    else:
        # Type 1: a plain IFD; ISO is an index (3: 50, 4: 100, 6: 200, 9: 400).
        ifd, _ = reader.read_ifd(at - reader.base)
        code = ifd.values.get(0x0014)
        table = {3: 50, 4: 64, 6: 100, 9: 200}
        code_v = int(code[0]) if isinstance(code, tuple) and code else None
        iso = (float(table[code_v]),) if code_v in table else None
    if isinstance(iso, tuple) and iso:
        return MakerValues(iso=float(iso[0]))
    return MakerValues()
