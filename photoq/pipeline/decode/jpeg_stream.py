"""The parts of a sequential JPEG that band-parallel coding needs: headers, frame, restart
interval and the entropy-coded scan.

Restart markers (RST0…RST7, cycling) reset the entropy coder, so a scan can be cut or joined
at them. Both band-parallel paths read streams through :func:`parse_sequential`: the encoder
joins bands encoded apart (:mod:`~photoq.pipeline.export.jpeg_encode`), the decoder cuts a
camera file with a restart marker after every row of blocks — as Nikon's files in the corpus have —
into bands decoded apart (:mod:`~photoq.pipeline.decode.jpeg`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["EOI", "RST0", "Sequential", "parse_sequential", "renumbered", "restart_offsets"]

SOF_MARKERS = frozenset((0xC0, 0xC1))  # baseline and extended sequential, Huffman coded
SOS, EOI, DRI, RST0 = 0xDA, 0xD9, 0xDD, 0xD0
_STANDALONE = frozenset((0x01, *range(RST0, RST0 + 8)))  # markers without a length field


@dataclass(frozen=True)
class Sequential:
    """One interleaved sequential scan and the headers before it."""

    jpeg: bytes  # the whole stream
    scan_at: int  # where the entropy-coded data begins, right after the SOS segment
    height_at: int  # offset of the frame's 16-bit height
    height: int
    width: int
    mcu: tuple[int, int]  # an MCU's width and height in pixels
    restart_interval: int  # in MCUs; 0: no restart markers

    @property
    def mcus_per_row(self) -> int:
        return -(-self.width // self.mcu[0])

    @property
    def mcu_rows(self) -> int:
        return -(-self.height // self.mcu[1])

    def header_for_height(self, height: int) -> bytes:
        """The headers (SOI up to and including SOS) with another frame height."""
        at = self.height_at
        return self.jpeg[:at] + struct.pack(">H", height) + self.jpeg[at + 2 : self.scan_at]

    def scan(self) -> memoryview | None:
        """The entropy-coded data up to EOI (a view, not a copy), or ``None`` without EOI."""
        end = self.jpeg.find(bytes((0xFF, EOI)), self.scan_at)  # never inside the data
        return memoryview(self.jpeg)[self.scan_at : end] if end >= 0 else None


def parse_sequential(jpeg: bytes) -> Sequential | None:
    """The stream's parts, or ``None`` unless it is a sequential Huffman JPEG whose first scan
    holds every component (what cameras and libjpeg write)."""
    at, frame = 2, None
    restart = 0
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF:
        marker = jpeg[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        (length,) = struct.unpack(">H", jpeg[at + 2 : at + 4])
        body = jpeg[at + 4 : at + 2 + length]
        if marker in SOF_MARKERS:
            frame = (at + 5, body)
        elif 0xC2 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return None  # progressive, lossless or arithmetic coded
        elif marker == DRI and len(body) >= 2:
            (restart,) = struct.unpack(">H", body[:2])
        elif marker == SOS:
            return _sequential(jpeg, at + 2 + length, frame, restart, components=body[0])
        at += 2 + length
    return None


def _sequential(
    jpeg: bytes, scan_at: int, frame: tuple[int, bytes] | None, restart: int, components: int
) -> Sequential | None:
    if frame is None:
        return None
    height_at, body = frame
    height, width, count = struct.unpack(">HHB", body[1:6])
    if count != components or len(body) < 6 + 3 * count or not height or not width:
        return None  # a non-interleaved scan: the components come one after another
    sampling = body[6 + 1 : 6 + 3 * count : 3]
    h_max, v_max = max(s >> 4 for s in sampling), max(s & 15 for s in sampling)
    return Sequential(
        jpeg=jpeg,
        scan_at=scan_at,
        height_at=height_at,
        height=height,
        width=width,
        mcu=(8 * h_max, 8 * v_max),
        restart_interval=restart,
    )


def restart_offsets(scan: memoryview) -> NDArray[np.intp] | None:
    """Offsets of the restart markers' 0xFF bytes in ``scan``, or ``None`` when the scan holds
    any other marker. In entropy-coded data a 0xFF byte is always followed by a stuffed 0x00
    or a marker, so 0xFF followed by 0xD0…0xD7 is exactly a restart marker."""
    data = np.frombuffer(scan, dtype=np.uint8)
    ff = np.flatnonzero(data[:-1] == 0xFF)
    following = data[ff + 1]
    if np.any((following != 0) & ((following & 0xF8) != RST0)):
        return None
    found: NDArray[np.intp] = ff[following != 0]
    return found


def renumbered(scan: memoryview, shift: int) -> bytes | memoryview:
    """``scan`` with every restart marker's number advanced by ``shift`` (mod 8).

    ``shift`` is a band's first MCU row, so any size: a 6000-pixel-tall 4:4:4 picture in two
    bands shifts the second by 375. It is reduced mod 8 first and the numbers are computed in
    a wide integer type (NumPy 2 refuses a Python int outside 0…255 in uint8 arithmetic).
    """
    shift %= 8
    if not shift:
        return scan
    offsets = restart_offsets(scan)
    if offsets is None:
        msg = "the scan holds markers other than restart markers"
        raise ValueError(msg)
    data: NDArray[np.uint8] = np.frombuffer(scan, dtype=np.uint8).copy()
    numbers = offsets + 1
    current = data[numbers].astype(np.intp) - RST0
    data[numbers] = (RST0 + (current + shift) % 8).astype(np.uint8)
    return data.tobytes()
