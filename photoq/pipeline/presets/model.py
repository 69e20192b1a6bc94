"""The develop settings a preset carries, and the preset itself.

Every field of :class:`DevelopSettings` defaults to its *neutral* value (the one that leaves the
picture as it is), so ``DevelopSettings()`` renders the original unchanged. Field names are the
Lightroom/Camera Raw controls in snake case; units are Lightroom's slider units:

===========================  =======================  ===========================================
field                        Camera Raw (``crs:``)    range, neutral
===========================  =======================  ===========================================
exposure                     Exposure2012             −5 … +5 stops, 0
contrast, highlights,        Contrast2012, …          −100 … +100, 0
shadows, whites, blacks
temperature, tint            Temperature, Tint        absolute kelvin / tint, ``None`` = as shot
incremental_temperature/     IncrementalTemperature/  −100 … +100, 0 (relative shift)
incremental_tint             IncrementalTint
vibrance, saturation         Vibrance, Saturation     −100 … +100, 0
clarity, dehaze              Clarity2012, Dehaze      −100 … +100, 0
tone_curve, tone_curve_red…  ToneCurvePV2012[Red…]    (x, y) points 0…255, identity
hsl_hue/saturation/luminance HueAdjustmentRed …       8 bands × −100 … +100, 0
convert_to_grayscale         ConvertToGrayscale       bool, False
vignette                     PostCropVignetteAmount   −100 … +100, 0
sharpness                    Sharpness                0 … 150, 0 (Lightroom's raw default is 25)
crop_top/left/bottom/right   CropTop …                fractions 0…1 of the frame, full frame
crop_angle                   CropAngle                −45 … +45 degrees, 0
===========================  =======================  ===========================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from itertools import pairwise

from photoq.errors import PermanentError

HSL_BANDS = ("red", "orange", "yellow", "green", "aqua", "blue", "purple", "magenta")
"""The eight HSL bands, in Lightroom's order."""

Curve = tuple[tuple[float, float], ...]
Bands = tuple[float, float, float, float, float, float, float, float]

IDENTITY_CURVE: Curve = ((0.0, 0.0), (255.0, 255.0))
ZERO_BANDS: Bands = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

# Slider limits: values outside are a broken preset, not a stronger look.
LIMITS: dict[str, tuple[float, float]] = {
    "exposure": (-5.0, 5.0),
    "temperature": (0.0, 50000.0),
    "tint": (-150.0, 150.0),
    "sharpness": (0.0, 150.0),
    "crop_angle": (-45.0, 45.0),
    "crop_top": (0.0, 1.0),
    "crop_left": (0.0, 1.0),
    "crop_bottom": (0.0, 1.0),
    "crop_right": (0.0, 1.0),
}
SLIDER = (-100.0, 100.0)  # every other numeric control


class BadPreset(PermanentError):
    """A preset file photoq cannot read: malformed, hostile, or with out-of-range values."""


@dataclass(frozen=True)
class DevelopSettings:
    """Develop controls, each at its neutral default (see the module table)."""

    exposure: float = 0.0
    contrast: float = 0.0
    highlights: float = 0.0
    shadows: float = 0.0
    whites: float = 0.0
    blacks: float = 0.0
    temperature: float | None = None
    tint: float | None = None
    incremental_temperature: float = 0.0
    incremental_tint: float = 0.0
    vibrance: float = 0.0
    saturation: float = 0.0
    clarity: float = 0.0
    dehaze: float = 0.0
    tone_curve: Curve = IDENTITY_CURVE
    tone_curve_red: Curve = IDENTITY_CURVE
    tone_curve_green: Curve = IDENTITY_CURVE
    tone_curve_blue: Curve = IDENTITY_CURVE
    hsl_hue: Bands = ZERO_BANDS
    hsl_saturation: Bands = ZERO_BANDS
    hsl_luminance: Bands = ZERO_BANDS
    convert_to_grayscale: bool = False
    vignette: float = 0.0
    sharpness: float = 0.0
    crop_top: float = 0.0
    crop_left: float = 0.0
    crop_bottom: float = 1.0
    crop_right: float = 1.0
    crop_angle: float = 0.0

    def is_neutral(self) -> bool:
        """True when rendering these settings returns the picture unchanged."""
        return self == NEUTRAL

    def validate(self, where: str) -> None:
        """Raise :class:`BadPreset` naming ``where`` if a value is out of range or malformed."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | float):
                low, high = LIMITS.get(f.name, SLIDER)
                if not (math.isfinite(value) and low <= value <= high):
                    msg = f"{where}: {f.name}={value} is outside {low:g}…{high:g}"
                    raise BadPreset(msg)
            elif f.name.startswith("tone_curve"):
                _check_curve(value, f"{where}: {f.name}")
            elif len(value) != len(HSL_BANDS) or any(abs(v) > 100 for v in value):
                msg = f"{where}: {f.name} needs 8 values in −100…100"
                raise BadPreset(msg)
        if self.crop_right <= self.crop_left or self.crop_bottom <= self.crop_top:
            msg = f"{where}: the crop rectangle is empty"
            raise BadPreset(msg)

    def blended(self, amount: float) -> DevelopSettings:
        """These settings scaled toward neutral: 0 → :data:`NEUTRAL`, 1 → ``self``.

        Sliders scale linearly; curve points move toward the diagonal; the crop rectangle and
        angle toward the full frame; ``convert_to_grayscale`` stays on when ``amount > 0`` and the
        renderer mixes the grey result with the colour one (see ``develop.render``). Absolute
        temperature/tint are blended by the renderer after conversion to a relative shift.
        """
        a = min(max(amount, 0.0), 1.0)
        if a == 1.0:
            return self
        if a == 0.0:
            return NEUTRAL
        changes: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            neutral = getattr(NEUTRAL, f.name)
            if isinstance(value, bool) or value is None or f.name in ("temperature", "tint"):
                continue
            if isinstance(value, int | float):
                changes[f.name] = neutral + a * (value - neutral)
            elif f.name.startswith("tone_curve"):
                changes[f.name] = tuple((x, x + a * (y - x)) for x, y in value)
            else:
                changes[f.name] = tuple(a * v for v in value)
        return replace(self, **changes)  # type: ignore[arg-type]

    def changed(self) -> dict[str, object]:
        """The fields that differ from neutral, by name (what a preset file needs to store)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(NEUTRAL, f.name)
        }


NEUTRAL = DevelopSettings()
SETTING_NAMES = frozenset(f.name for f in fields(DevelopSettings))


def _check_curve(curve: Curve, where: str) -> None:
    if len(curve) < 2:
        msg = f"{where} needs at least two points"
        raise BadPreset(msg)
    xs = [x for x, _ in curve]
    if any(not (0 <= v <= 255) for point in curve for v in point):
        msg = f"{where} has a point outside 0…255"
        raise BadPreset(msg)
    if any(b <= a for a, b in pairwise(xs)):
        msg = f"{where} needs strictly increasing x values"
        raise BadPreset(msg)


@dataclass(frozen=True)
class Preset:
    """A named, versioned set of develop settings.

    ``source`` says where it came from (``builtin``, ``xmp``, ``photoq``, a file name …);
    ``unsupported`` maps each setting found in the source file that photoq does not render (and
    that is not at its no-effect value) to its value as written, so an import can list it.
    ``group`` and ``uuid`` are carried over from Lightroom presets when present.
    """

    name: str
    settings: DevelopSettings = field(default_factory=DevelopSettings)
    version: int = 1
    source: str = "photoq"
    unsupported: dict[str, str] = field(default_factory=dict)
    group: str = ""
    uuid: str = ""
