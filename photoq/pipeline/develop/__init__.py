"""Develop: a preset rendered on full-size pixels (tone, colour, local contrast, sharpening,
crop), band-parallel where OpenCV runs on one core.

Owns the renderer and its stages; may use ``presets`` (the settings), ``decode`` (the RAW
white balance a preset asks for) and ``bands``.
"""

from photoq.pipeline.develop.renderer import render
from photoq.pipeline.develop.white_point import absolute_white_balance

__all__ = ["absolute_white_balance", "render"]
