"""Baseline JPEG encoding of a large picture on every core: bands joined at restart markers.

libjpeg encodes on one core, and on a 24 MP export that is ~100 ms while the other cores wait.
A baseline JPEG with restart markers can be cut at any marker: the entropy coder starts afresh
after each one (DC predictors reset, bit buffer padded to a byte). So the picture is cut into
horizontal bands on MCU-row boundaries, and each band is encoded by libjpeg-turbo (through
OpenCV, which releases the GIL) in its own thread, with a restart marker after every MCU row.
The bands' entropy-coded data are then joined under the first band's headers: the frame
height becomes the whole picture's, a restart marker goes between two bands, and each later
band's markers are renumbered (they count 0…7 cyclically through the whole scan).

The result is an ordinary baseline JPEG with a restart interval of one MCU row, byte for byte
what libjpeg writes for the whole picture in one piece with that interval (the tests check
this). The markers cost two bytes and a padded byte per MCU row (705 bytes, 0.008 %, on a
24 MP q90 export) and let a decoder resynchronise after a damaged byte. Small pictures, or a
single core, take the one-piece path, which writes the same bytes.
"""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["encode_jpeg"]

# Below this many pixels a band's thread and the join cost more than they save.
MIN_BAND_PIXELS = 1 << 20
SOF_MARKERS = frozenset((0xC0, 0xC1))  # baseline and extended sequential Huffman frames
SOS, EOI, RST0 = 0xDA, 0xD9, 0xD0


def encode_jpeg(rgb: NDArray[Any], *, quality: int, full_chroma: bool, bands: int) -> bytes:
    """``rgb`` (H×W×3 uint8) as baseline JPEG bytes, encoded in up to ``bands`` parallel bands.

    ``full_chroma`` keeps colour at full resolution (4:4:4); otherwise chroma is halved both
    ways (4:2:0).
    """
    height, width = rgb.shape[:2]
    mcu = 8 if full_chroma else 16
    mcu_rows = -(-height // mcu)
    count = max(1, min(bands, mcu_rows, height * width // MIN_BAND_PIXELS))
    params = [
        cv2.IMWRITE_JPEG_QUALITY, quality,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444 if full_chroma
        else cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
        # Baseline with standard tables: progressive coding costs ~5× the encode time of a
        # 24 MP image in libjpeg here (1.0 s vs 0.2 s) and optimised tables ~2×, for a few
        # per cent of file size; and bands can only share standard tables.
        cv2.IMWRITE_JPEG_OPTIMIZE, 0,
        cv2.IMWRITE_JPEG_PROGRESSIVE, 0,
        cv2.IMWRITE_JPEG_RST_INTERVAL, -(-width // mcu),
    ]  # fmt: skip
    # Band boundaries on MCU rows, as even as the rows allow.
    edges = [mcu * (mcu_rows * i // count) for i in range(count)] + [height]

    def encode_band(i: int) -> bytes:
        band = cv2.cvtColor(rgb[edges[i] : edges[i + 1]], cv2.COLOR_RGB2BGR)
        ok, encoded = cv2.imencode(".jpg", band, params)
        if not ok:
            msg = "the JPEG encoder failed"
            raise ValueError(msg)
        return encoded.tobytes()

    if count == 1:
        return encode_band(0)
    with ThreadPoolExecutor(count) as pool:
        encoded = list(pool.map(encode_band, range(count)))
    return _join(encoded, [(edges[i + 1] - edges[i]) // mcu for i in range(count - 1)], height)


def _join(encoded: list[bytes], band_rows: list[int], height: int) -> bytes:
    """The bands' scans as one, under the first band's headers with the full ``height``.

    ``band_rows`` gives the MCU rows of every band but the last: one restart interval each.
    """
    header, sof_height_at, scan = _split(encoded[0])
    parts = [header[:sof_height_at], struct.pack(">H", height), header[sof_height_at + 2 :]]
    parts.append(scan)
    done = 0
    for rows, data in zip(band_rows, encoded[1:], strict=True):
        done += rows
        band_header, at, band_scan = _split(data)
        if band_header[:at] != header[:at] or band_header[at + 2 :] != header[at + 2 :]:
            msg = "JPEG bands were encoded with different tables"  # cannot happen with libjpeg
            raise ValueError(msg)
        parts.append(bytes((0xFF, RST0 + (done - 1) % 8)))
        parts.append(_renumbered(band_scan, done % 8))
    parts.append(bytes((0xFF, EOI)))
    return b"".join(parts)


def _split(jpeg: bytes) -> tuple[bytes, int, bytes]:
    """(headers up to and including SOS, offset of the frame height in them, entropy data)."""
    at, sof_height_at = 2, -1
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF:
        marker = jpeg[at + 1]
        (length,) = struct.unpack(">H", jpeg[at + 2 : at + 4])
        if marker in SOF_MARKERS:
            sof_height_at = at + 5  # FF Cn, length (2), precision (1), then the height
        if marker == SOS:
            end = at + 2 + length
            if sof_height_at < 0 or jpeg[-2:] != bytes((0xFF, EOI)):
                break
            return jpeg[:end], sof_height_at, jpeg[end:-2]
        at += 2 + length
    msg = "the JPEG encoder wrote an unexpected stream"
    raise ValueError(msg)


def _renumbered(scan: bytes, shift: int) -> bytes:
    """``scan`` with every restart marker's number advanced by ``shift`` (mod 8).

    Inside entropy-coded data a 0xFF byte is always followed by a stuffed 0x00 or a marker, so
    0xFF followed by 0xD0…0xD7 is exactly a restart marker.
    """
    if not shift:
        return scan
    data = np.frombuffer(scan, dtype=np.uint8).copy()
    ff = np.flatnonzero(data[:-1] == 0xFF) + 1
    numbers = ff[(data[ff] & 0xF8) == RST0]
    data[numbers] = RST0 + ((data[numbers] - RST0 + shift) & 7)
    return data.tobytes()
