"""One exporter per output format: a small contract, a registry, string aliases.

Shaped like Huey's storages and Celery's backend aliases: :class:`Exporter` says what a format
needs (the extension, the bit depth it stores, whether ``quality`` means anything) as class
attributes that :func:`~photoq.pipeline.export.image.export_image` reads, and
:meth:`Exporter.encode` writes the pixels with the ICC profile and EXIF to an open file.
:data:`EXPORTERS` maps each name to its class; :data:`ALIASES` adds the spellings users type
(``jpg``, ``tif``); :func:`get_exporter` resolves a name or fails listing the choices.

Encoder choices, and why:

- JPEG: libjpeg-turbo through OpenCV (no copy into Pillow); 4:2:0 chroma subsampling below
  quality 90 and 4:4:4 from 90 up (what Lightroom does: high-quality exports keep colour edges),
  baseline with standard Huffman tables (progressive and optimised files are a few per cent
  smaller but take several times longer to encode), a restart marker after every MCU row so
  that bands of a large picture are encoded on all cores at once.
- WebP: lossy at ``quality``, ``method=4`` (libwebp's default speed/size balance); 100 is lossless.
- PNG: lossless; ``compress_level`` 6 (zlib's default) — higher levels cost much more time for
  a few per cent.
- TIFF 8/16-bit: Deflate + predictor via :mod:`photoq.pipeline.export.tiff_writer` (Pillow
  cannot keep 48-bit RGB or write EXIF through libtiff).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, ClassVar

from PIL import Image

from photoq.pipeline.export.errors import UnknownExportFormat
from photoq.pipeline.export.jpeg_encode import encode_jpeg
from photoq.pipeline.export.jpeg_segments import with_metadata
from photoq.pipeline.export.metadata import exif_payload
from photoq.pipeline.export.tiff_writer import write_tiff

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Quality from which JPEG keeps full-resolution chroma (4:4:4).
JPEG_FULL_CHROMA_QUALITY = 90
PNG_COMPRESS_LEVEL = 6
WEBP_METHOD = 4


class Exporter:
    """The contract every output format fulfils.

    ``encode`` receives pixels already resized and converted to :attr:`bit_depth` (uint8 or
    uint16, H×W×3 sRGB), the ICC profile bytes and the rewritten EXIF, and writes one complete
    file to ``fh``. It must not touch the file system otherwise: atomicity is the caller's job.
    """

    name: ClassVar[str]
    extension: ClassVar[str]  # without the dot
    bit_depth: ClassVar[int] = 8  # bits per channel the format stores
    uses_quality: ClassVar[bool] = False  # whether ``quality`` changes the output

    def encode(
        self,
        rgb: NDArray[np.uint8] | NDArray[np.uint16],
        fh: BinaryIO,
        *,
        quality: int,
        icc: bytes | None,
        exif: Image.Exif | None,
    ) -> None:
        raise NotImplementedError


class _PillowExporter(Exporter):
    """An 8-bit format Pillow encodes; subclasses add their encoder options."""

    pil_format: ClassVar[str]

    def encode(
        self,
        rgb: NDArray[np.uint8] | NDArray[np.uint16],
        fh: BinaryIO,
        *,
        quality: int,
        icc: bytes | None,
        exif: Image.Exif | None,
    ) -> None:
        image = Image.fromarray(rgb, "RGB")
        params: dict[str, object] = self.options(quality)
        if icc:
            params["icc_profile"] = icc
        payload = exif_payload(exif)
        if payload:
            params["exif"] = payload
        image.save(fh, self.pil_format, **params)

    def options(self, quality: int) -> dict[str, object]:
        return {}


class JpegExporter(Exporter):
    """libjpeg-turbo through OpenCV, straight from the array (Pillow would first copy the
    pixels into its own 4-byte layout: ~60 ms of a 24 MP export), in parallel bands on every
    core OpenCV uses (:mod:`~photoq.pipeline.export.jpeg_encode`), then EXIF and ICC added as
    segments (:mod:`~photoq.pipeline.export.jpeg_segments`)."""

    name = "jpeg"
    extension = "jpg"
    uses_quality = True

    def encode(
        self,
        rgb: NDArray[np.uint8] | NDArray[np.uint16],
        fh: BinaryIO,
        *,
        quality: int,
        icc: bytes | None,
        exif: Image.Exif | None,
    ) -> None:
        encoded = encode_jpeg(rgb, quality=quality, full_chroma=quality >= JPEG_FULL_CHROMA_QUALITY)
        fh.write(with_metadata(encoded, exif=exif_payload(exif), icc=icc))


class WebpExporter(_PillowExporter):
    name = "webp"
    extension = "webp"
    uses_quality = True
    pil_format = "WEBP"

    def options(self, quality: int) -> dict[str, object]:
        return {"quality": quality, "method": WEBP_METHOD, "lossless": quality >= 100}


class PngExporter(_PillowExporter):
    name = "png"
    extension = "png"
    pil_format = "PNG"

    def options(self, quality: int) -> dict[str, object]:
        return {"compress_level": PNG_COMPRESS_LEVEL}


class TiffExporter(Exporter):
    name = "tiff8"
    extension = "tif"

    def encode(
        self,
        rgb: NDArray[np.uint8] | NDArray[np.uint16],
        fh: BinaryIO,
        *,
        quality: int,
        icc: bytes | None,
        exif: Image.Exif | None,
    ) -> None:
        write_tiff(fh, rgb, icc=icc, exif=exif)


class Tiff16Exporter(TiffExporter):
    name = "tiff16"
    bit_depth = 16


EXPORTERS: dict[str, type[Exporter]] = {
    cls.name: cls for cls in (JpegExporter, WebpExporter, PngExporter, TiffExporter, Tiff16Exporter)
}
ALIASES: dict[str, str] = {"jpg": "jpeg", "tif": "tiff8", "tiff": "tiff8", "tif16": "tiff16"}


def get_exporter(name: str) -> Exporter:
    """The exporter registered as ``name`` or one of its aliases (case-insensitive)."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    try:
        return EXPORTERS[key]()
    except KeyError:
        choices = ", ".join(sorted(EXPORTERS))
        msg = f"unknown export format {name!r}; choose one of: {choices}"
        raise UnknownExportFormat(msg) from None
