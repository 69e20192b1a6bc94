"""Metadata segments for a JPEG encoded without them: EXIF (APP1) and an ICC profile (APP2).

OpenCV's encoder (libjpeg-turbo, straight from a NumPy array: no copy into a Pillow image) writes
no metadata, so the export adds it to the finished bytes: the segments go right after SOI and
the JFIF APP0 header, where Pillow, libjpeg and ExifTool write and look for them. An ICC profile
larger than one segment is split into numbered ``ICC_PROFILE`` chunks (ICC.1, annex B.4).
"""

from __future__ import annotations

import struct

SOI = b"\xff\xd8"
APP0, APP1, APP2 = 0xE0, 0xE1, 0xE2
#: A segment's length field counts itself: 65535 − 2 bytes of payload at most.
MAX_PAYLOAD = 65533
ICC_HEADER = b"ICC_PROFILE\x00"
ICC_CHUNK = MAX_PAYLOAD - len(ICC_HEADER) - 2


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def icc_segments(icc: bytes) -> bytes:
    chunks = [icc[i : i + ICC_CHUNK] for i in range(0, len(icc), ICC_CHUNK)]
    if len(chunks) > 255:
        msg = f"ICC profile too large for a JPEG ({len(icc):,} bytes)"
        raise ValueError(msg)
    return b"".join(
        _segment(APP2, ICC_HEADER + bytes((n, len(chunks))) + chunk)
        for n, chunk in enumerate(chunks, 1)
    )


def with_metadata(jpeg: bytes, *, exif: bytes | None, icc: bytes | None) -> bytes:
    """``jpeg`` with an APP1 ``exif`` payload (``Exif\\0\\0`` + TIFF) and ``icc`` inserted."""
    if not jpeg.startswith(SOI):
        msg = "not a JPEG stream (no SOI marker)"
        raise ValueError(msg)
    at = len(SOI)
    if jpeg[at : at + 2] == bytes((0xFF, APP0)):  # keep JFIF first, as its spec requires
        (length,) = struct.unpack(">H", jpeg[at + 2 : at + 4])
        at += 2 + length
    added = b""
    if exif:
        if len(exif) > MAX_PAYLOAD:
            msg = f"EXIF data is too long for a JPEG ({len(exif):,} bytes)"
            raise ValueError(msg)
        added += _segment(APP1, exif)
    if icc:
        added += icc_segments(icc)
    # One copy of the (megabytes of) scan data, not two: join reads the tail through a view.
    return b"".join((jpeg[:at], added, memoryview(jpeg)[at:]))
