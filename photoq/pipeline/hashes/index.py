"""Find every pair of 64-bit hashes within a Hamming distance, without comparing every pair.

The scheme is multi-index hashing (pigeonhole): split a hash into ``k + 1`` bands and two hashes
that differ in at most ``k`` bits agree exactly on at least one band. With two hashes per photo
(pHash and dHash) and a limit on each, some *pair* of bands — one from each hash — agrees
exactly, and a pair of bands is a long key (≈14 bits for limits of 8), so each bucket holds only
a handful of photos. Candidates come from a sort and a binary search per band pair, then every
candidate is checked on all hashes at once with NumPy. No Python loop runs over photos.

The module also rotates and mirrors a stored pHash without the pixels (:func:`dihedral_codes`):
turning an image by 90° transposes its DCT coefficients, and mirroring it flips the sign of the
odd horizontal (or vertical) frequencies. The hash keeps only whether a coefficient lies above
the median of the others, and that median sits close to zero, so a sign flip inverts the bit.
Measured on real photos, the hash derived this way is within 0–6 bits of the hash of the turned
pixels (tests/pipeline/test_grouping.py).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = ["dihedral_codes", "hex_codes", "near_pairs"]

_BITS = 64
# Queries per chunk: bounds the memory of the candidate arrays when buckets are crowded.
_CHUNK = 65536


def hex_codes(hashes: Sequence[str]) -> NDArray[np.uint64]:
    """16-hex-digit hashes as unsigned 64-bit integers."""
    return np.array([int(h, 16) for h in hashes], dtype=np.uint64)


def _bits(codes: NDArray[np.uint64]) -> NDArray[np.uint8]:
    as_bytes = codes.astype(">u8").view(np.uint8).reshape(-1, 8)
    return np.unpackbits(as_bytes, axis=1).reshape(-1, 8, 8)


def _codes(bits: NDArray[np.uint8]) -> NDArray[np.uint64]:
    packed = np.packbits(bits.reshape(-1, _BITS), axis=1)
    return packed.view(">u8").reshape(-1).astype(np.uint64)


def dihedral_codes(codes: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The pHash of each image under the 8 rotations and mirrors, shape ``(8, n)``; row 0 is as is.

    The bit at row ``u``, column ``v`` of the 8×8 block is the DCT frequency (vertical ``u``,
    horizontal ``v``), as :func:`photoq.pipeline.hashes.perceptual.phash` writes it.
    """
    bits = _bits(codes)
    u = np.arange(8).reshape(8, 1)
    v = np.arange(8).reshape(1, 8)
    out = []
    for transpose, flip_v, flip_h in itertools.product((False, True), (0, 1), (0, 1)):
        block = bits.transpose(0, 2, 1) if transpose else bits
        odd = ((flip_v * u + flip_h * v) % 2).astype(np.uint8)
        out.append(_codes(block ^ odd))
    return np.stack(out)


def _bands(limit: int, agree: int) -> list[tuple[tuple[int, int], ...]]:
    """Band sets to look up: ``limit + agree`` contiguous bands, taken ``agree`` at a time.

    Two hashes within ``limit`` bits agree exactly on at least ``agree`` of ``limit + agree``
    bands, so some choice of ``agree`` bands matches. Larger ``agree`` means longer keys and
    fewer candidates per bucket, at the price of more lookups.
    """
    count = limit + agree
    edges = [round(i * _BITS / count) for i in range(count + 1)]
    bands = [(_BITS - hi, hi - lo) for lo, hi in itertools.pairwise(edges)]
    return list(itertools.combinations(bands, agree))


def _band(codes: NDArray[np.uint64], shift: int, width: int) -> NDArray[np.uint64]:
    mask = np.uint64((1 << width) - 1)
    return (codes >> np.uint64(shift)) & mask


def _keys(
    codes: Sequence[NDArray[np.uint64]], combo: Sequence[tuple[tuple[int, int], ...]]
) -> NDArray[np.uint64]:
    key = np.zeros(len(codes[0]), dtype=np.uint64)
    for column, bands in zip(codes, combo, strict=True):
        for shift, width in bands:
            key = (key << np.uint64(width)) | _band(column, shift, width)
    return key


def _candidates(
    query_keys: NDArray[np.uint64], sorted_keys: NDArray[np.uint64], order: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Every (query, table) index pair whose keys are equal, via one binary search per query."""
    # Searching sorted needles is several times faster than random ones (memory locality).
    query_order = np.argsort(query_keys, kind="stable").astype(np.intp)
    needles = query_keys[query_order]
    lo = np.searchsorted(sorted_keys, needles, side="left")
    hi = np.searchsorted(sorted_keys, needles, side="right")
    counts = hi - lo
    total = int(counts.sum())
    q = np.repeat(query_order, counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    t = order[starts + np.arange(total, dtype=np.intp)]
    return q, t


def _runs(keys: NDArray[np.uint64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Every pair (i, j), i != j, of positions with equal keys, each unordered pair once."""
    order = np.argsort(keys, kind="stable").astype(np.intp)
    ordered = keys[order]
    n = len(ordered)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    run_end = np.repeat(ends, ends - starts)
    # Each sorted position pairs with the positions after it in its run.
    counts = run_end - np.arange(n) - 1
    total = int(counts.sum())
    first = np.repeat(np.arange(n, dtype=np.intp), counts)
    offset = np.arange(total, dtype=np.intp) - np.repeat(np.cumsum(counts) - counts, counts)
    a, b = order[first], order[first + 1 + offset]
    return np.minimum(a, b), np.maximum(a, b)


def near_pairs(
    query: Sequence[NDArray[np.uint64]],
    table: Sequence[NDArray[np.uint64]],
    limits: Sequence[int],
    *,
    agree: int = 1,
    self_join: bool = False,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Index pairs ``(i, j)`` with ``hamming(query[h][i], table[h][j]) <= limits[h]`` for every h.

    ``query`` and ``table`` hold one array per hash kind (same order as ``limits``). With
    ``self_join`` (query is table) each unordered pair comes once, as ``i < j``. Pairs are
    returned sorted, so the result does not depend on how buckets were visited. ``agree`` is the
    number of exactly matching bands looked up per hash (see :func:`_bands`): 2 suits a single
    hash, whose 1-band keys would be short and crowded.
    """
    if not (len(query) == len(table) == len(limits)) or not limits:
        msg = "query, table and limits must name the same hash kinds"
        raise ValueError(msg)
    combos = list(itertools.product(*(_bands(limit, agree) for limit in limits)))
    if any(sum(w for bands in combo for _, w in bands) > _BITS for combo in combos):
        msg = f"limits {list(limits)} make band keys longer than 64 bits; use limits of 1 or more"
        raise ValueError(msg)
    found: list[NDArray[np.int64]] = []
    n_table = len(table[0])
    for combo in combos:
        if self_join:
            # One sort, pairs taken within runs of equal keys: no binary searches at all.
            q, t = _runs(_keys(table, combo))
            keep = np.ones(len(q), dtype=bool)
            for column, limit in zip(table, limits, strict=True):
                keep &= np.bitwise_count(column[q] ^ column[t]) <= limit
            found.append(q[keep].astype(np.int64) * n_table + t[keep])
            continue
        table_keys = _keys(table, combo)
        order = np.argsort(table_keys, kind="stable").astype(np.intp)
        sorted_keys = table_keys[order]
        query_keys = _keys(query, combo)
        for start in range(0, len(query_keys), _CHUNK):
            q, t = _candidates(query_keys[start : start + _CHUNK], sorted_keys, order)
            q += start
            keep = np.ones(len(q), dtype=bool)
            for column_q, column_t, limit in zip(query, table, limits, strict=True):
                keep &= np.bitwise_count(column_q[q] ^ column_t[t]) <= limit
            found.append(q[keep].astype(np.int64) * n_table + t[keep])
    if not found:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    flat = np.unique(np.concatenate(found))
    return (flat // n_table).astype(np.intp), (flat % n_table).astype(np.intp)
