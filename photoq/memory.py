"""Keeping freed memory for reuse in worker processes (glibc only).

glibc hands every allocation above 128 kB straight to ``mmap`` and gives it back with ``munmap``
when freed. A develop of a 24 MP photo makes a few dozen 18–72 MB temporaries, so each one
arrives as fresh pages the kernel must fault in and zero: measured here, that was 20–30 % of a
24 MP export (``bench/export_speed.py``: 0.97–1.01 s → 0.70–0.80 s per photo). With
``M_MMAP_MAX = 0`` every block comes from the heap, and a high ``M_TRIM_THRESHOLD`` keeps freed
blocks there for the next task instead of returning them to the kernel.

The price is memory: a process keeps its peak heap (≈ 0.5 GB after a 24 MP develop) until it
exits. Pool processes are replaced every 100 tasks anyway; ``PHOTOQ_REUSE_MEMORY=false`` turns
this off. Elsewhere than glibc (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import platform

log = logging.getLogger(__name__)

# mallopt(3) parameters.
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
KEEP_FREE_BYTES = 1 << 30


def reuse_freed_memory() -> bool:
    """Tell glibc's malloc to serve large blocks from the heap and keep them when freed;
    False where that is not possible."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    ok = bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREE_BYTES))
    log.debug("malloc tuned to reuse freed memory: %s", ok)
    return ok
