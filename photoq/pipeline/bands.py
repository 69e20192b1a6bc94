"""Work that OpenCV runs on one core, spread over horizontal bands of the picture.

``cv2.blur``, ``addWeighted``, ``transform`` and float ``multiply``/``add`` run on a single core
however large the image (resizes, warps, lookup tables and colour conversions already use
OpenCV's own threads). A stage that looks at each pixel alone, or at a few rows around it,
gives exactly the same result band by band, so :func:`in_bands` runs one band per thread
OpenCV is allowed (``cv2.getNumThreads()``, which honours ``cv2.setNumThreads`` and
``OPENCV_FOR_THREADS_NUM``) at once: OpenCV releases the GIL, and every band writes its rows
straight into the shared result. Measured on a 24 MP picture and two cores, sharpening takes
16 instead of 26 ms.

Stages that themselves call OpenCV's threaded operations are left whole: two Python threads
each driving OpenCV's thread pool measured slower than one (1.5× the wall time, with the HSL
stage no faster at all).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["band_count", "in_bands", "per_band"]

Image = NDArray[Any]
# A band below this many pixels costs more in thread hand-over than it saves.
MIN_BAND_PIXELS = 1 << 20


def band_count(pixels: int, threads: int | None = None) -> int:
    """How many bands a picture of ``pixels`` is worth cutting into: one per thread
    (``threads``, or OpenCV's count), none below :data:`MIN_BAND_PIXELS`; at least one."""
    threads = cv2.getNumThreads() if threads is None else threads
    return max(1, min(threads, pixels // MIN_BAND_PIXELS))


def in_bands(height: int, width: int, work: Callable[[int, int], object]) -> None:
    """``work(top, bottom)`` for bands of rows covering ``0…height``, in parallel."""
    count = min(band_count(height * width), height)
    if count == 1:
        work(0, height)
        return
    edges = [height * i // count for i in range(count + 1)]
    with ThreadPoolExecutor(count) as pool:
        # list(): wait for every band and re-raise the first error.
        list(pool.map(work, edges[:-1], edges[1:]))


def per_band(stage: Callable[..., object], *images: Image, **options: Any) -> Image:
    """``stage(*images, dst=out, **options)`` band by band, for a stage where each output
    pixel depends on the same pixel of the inputs; ``out`` is shaped like ``images[0]``."""
    out = np.empty_like(images[0])

    def work(top: int, bottom: int) -> None:
        stage(*(image[top:bottom] for image in images), dst=out[top:bottom], **options)

    in_bands(out.shape[0], out.shape[1], work)
    return out
