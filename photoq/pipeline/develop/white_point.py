"""The white balance a preset asks the RAW demosaic for (an absolute temperature and tint)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from photoq.pipeline.decode import WhiteBalance

if TYPE_CHECKING:
    from photoq.pipeline.presets import DevelopSettings

__all__ = ["SMALLEST_TEMPERATURE", "absolute_white_balance"]

#: Kelvin values below this are offsets (hand-written presets use "+400"), not temperatures.
SMALLEST_TEMPERATURE = 2000.0


def absolute_white_balance(s: DevelopSettings, blend: float) -> WhiteBalance | None:
    """The preset's absolute white balance, or ``None`` when it has none (or only a tint, or
    a temperature given as an offset: those stay relative shifts)."""
    if s.temperature is None or s.temperature < SMALLEST_TEMPERATURE:
        return None
    return WhiteBalance(s.temperature, s.tint or 0.0, blend)
