"""Which files are photos, and what a file really is.

The extension decides whether a file is picked up at ingest; the first bytes decide how it is read,
because cameras, phones and users rename files and a ``.jpg`` that is really a PNG (or a DNG) must
still be read by the right parser. The sniff is kept apart from the parsers, like Pillow's
``_accept`` hooks, so it stays cheap: 64 bytes, no allocation, no I/O of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from photoq.pipeline.files import open_regular

if TYPE_CHECKING:
    from pathlib import Path

RAW_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".dng",
        ".cr2",
        ".cr3",
        ".crw",
        ".nef",
        ".nrw",
        ".arw",
        ".srf",
        ".sr2",
        ".orf",
        ".rw2",
        ".raf",
        ".pef",
        ".srw",
        ".x3f",
        ".3fr",
        ".iiq",
        ".rwl",
        ".erf",
        ".kdc",
        ".mrw",
        ".mef",
        ".mos",
    }
)

RASTER_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".tif",
        ".tiff",
        ".png",
        ".webp",
    }
)

PHOTO_EXTENSIONS: frozenset[str] = RASTER_EXTENSIONS | RAW_EXTENSIONS

#: How many leading bytes :func:`sniff_format` needs to tell every format apart.
SNIFF_BYTES = 64

# ISO-BMFF brands (the ``ftyp`` box) mapped to what the file holds. HEIF brands cover HEIC
# stills, sequences and Canon/Sony ``.HIF``; ``crx`` is Canon's CR3 raw.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})

# Maker-specific TIFF variants: the magic number replaces 42 in the TIFF header.
_TIFF_VARIANTS: dict[bytes, str] = {
    b"II*\x00": "tiff",
    b"MM\x00*": "tiff",
    b"IIRO": "orf",  # Olympus
    b"IIRS": "orf",  # Olympus (some models)
    b"MMOR": "orf",  # Olympus E-series big-endian
    b"IIU\x00": "rw2",  # Panasonic
}


def sniff_format(head: bytes) -> str | None:
    """Name the container the bytes ``head`` (the start of a file) belong to, or None.

    TIFF-based RAW (CR2, NEF, ARW, DNG …) that keeps the plain TIFF header is reported as "tiff"
    except CR2, whose header carries its own marker; telling the others apart needs the IFDs.
    """
    if len(head) < 4:
        return None
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in _TIFF_VARIANTS:
        if head[:2] == b"II" and head[8:10] == b"CR":
            return "cr2"
        return _TIFF_VARIANTS[head[:4]]
    if head[4:8] == b"ftyp":
        return _sniff_bmff(head)
    if head[:2] in (b"II", b"MM") and head[6:14] == b"HEAPCCDR":
        return "crw"
    if head[:16] == b"FUJIFILMCCD-RAW ":
        return "raf"
    if head[:4] == b"\x00MRM":
        return "mrw"
    if head[:4] == b"FOVb":
        return "x3f"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM" and len(head) >= 18:
        return "bmp"
    if head[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n" or head[:4] == b"\xff\x4f\xff\x51":
        return "jpeg2000"
    if head[:2] == b"\xff\x0a" or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "jxl"
    return None


def _sniff_bmff(head: bytes) -> str | None:
    """Classify an ISO-BMFF file by its major brand, then its compatible brands."""
    box_size = int.from_bytes(head[:4], "big")
    major = head[8:12]
    # Compatible brands follow the 4-byte minor version; only what is inside the buffer is read.
    end = min(max(box_size, 16), len(head))
    brands = [major] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    if major == b"crx ":
        return "cr3"
    if major in _AVIF_BRANDS:
        return "avif"
    if major in _HEIF_BRANDS:
        return "heif"
    for brand in brands[1:]:
        if brand in _AVIF_BRANDS:
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heif"
    return None


def describe_unknown(head: bytes) -> str:
    """One line telling the user why bytes that :func:`sniff_format` rejects are not a photo."""
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    if head and printable >= 0.95 * len(head):
        return "not an image: the file holds text, not image data"
    return f"not an image photoq reads: unrecognised content (starts with {head[:8].hex(' ')})"


def sniff_file(path: Path) -> str | None:
    """Read the first bytes of ``path`` and :func:`sniff_format` them."""
    with open_regular(path) as fh:
        return sniff_format(fh.read(SNIFF_BYTES))


#: What operating systems, NAS boxes and file managers leave among photos (compared lower-case):
#: Finder's ``.DS_Store`` and ``._*`` AppleDouble files, Windows' thumbnail caches, folder
#: settings and recycle bins, Synology's ``@eaDir`` and QNAP's ``.@__thumb`` thumbnail folders.
OS_LITTER_NAMES = frozenset(
    {
        ".ds_store",
        ".localized",
        ".spotlight-v100",
        ".trashes",
        ".fseventsd",
        ".temporaryitems",
        ".documentrevisions-v100",
        ".appledouble",
        ".@__thumb",
        "@eadir",
        "@recycle",
        "#recycle",
        "#snapshot",
        "thumbs.db",
        "ehthumbs.db",
        "ehthumbs_vista.db",
        "desktop.ini",
        "$recycle.bin",
        "recycler",
        "system volume information",
        "lost+found",
    }
)
HIDDEN = "hidden"
OS_FILE = "OS files"


def litter_kind(name: str) -> str | None:
    """Why a file or folder named ``name`` is no part of a shoot: ``OS_FILE`` for what an
    operating system or NAS leaves behind, ``HIDDEN`` for any other dot-name; None otherwise."""
    lower = name.lower()
    if lower in OS_LITTER_NAMES or lower.startswith("._"):
        return OS_FILE
    if name.startswith("."):
        return HIDDEN
    return None


def is_photo_path(path: Path) -> bool:
    """Whether ingest should pick ``path`` up, judged by its name alone: a photo extension, and
    not hidden nor OS litter (``._IMG_0001.JPG`` is Finder's AppleDouble file, not a photo)."""
    return path.suffix.lower() in PHOTO_EXTENSIONS and litter_kind(path.name) is None
