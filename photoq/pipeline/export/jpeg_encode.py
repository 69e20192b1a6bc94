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

from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import cv2

from photoq.pipeline.bands import band_count
from photoq.pipeline.decode.jpeg_stream import EOI, RST0, parse_sequential, renumbered

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["encode_jpeg"]


def encode_jpeg(
    rgb: NDArray[Any], *, quality: int, full_chroma: bool, bands: int | None = None
) -> bytes:
    """``rgb`` (H×W×3 uint8) as baseline JPEG bytes, encoded in up to ``bands`` parallel bands
    (one per OpenCV thread unless given).

    ``full_chroma`` keeps colour at full resolution (4:4:4); otherwise chroma is halved both
    ways (4:2:0).
    """
    height, width = rgb.shape[:2]
    mcu = 8 if full_chroma else 16
    mcu_rows = -(-height // mcu)
    count = min(band_count(height * width, bands), mcu_rows)
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
    header = None
    parts: list[bytes | memoryview] = []
    for data, start in zip(encoded, [0, *accumulate(band_rows)], strict=True):
        stream = parse_sequential(data)
        if stream is None or (scan := stream.scan()) is None:
            msg = "the JPEG encoder wrote an unexpected stream"  # not libjpeg
            raise ValueError(msg)
        if header is None:
            header = stream.header_for_height(height)
            parts.append(header)
        elif stream.header_for_height(height) != header:
            msg = "JPEG bands were encoded with different tables"  # not with libjpeg
            raise ValueError(msg)
        else:  # the marker that ends the previous band's last row
            parts.append(bytes((0xFF, RST0 + (start - 1) % 8)))
        parts.append(renumbered(scan, start))
    parts.append(bytes((0xFF, EOI)))
    return b"".join(parts)
