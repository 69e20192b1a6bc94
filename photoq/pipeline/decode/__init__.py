"""Decode: a photo's bytes to oriented RGB pixels, at analysis size or full size for develop.

Owns the format readers (JPEG and its MPF previews, HEIF, camera RAW, everything Pillow reads),
orientation, decompression-bomb limits, JPEG stream parsing and RAW white balance; may use
``metadata`` (container EXIF), ``formats`` and ``bands``.
"""

from photoq.pipeline.decode.common import DecodedImage
from photoq.pipeline.decode.images import decode_for_analysis, decode_for_develop
from photoq.pipeline.decode.white_balance import WhiteBalance

__all__ = [
    "DecodedImage",
    "WhiteBalance",
    "decode_for_analysis",
    "decode_for_develop",
]
