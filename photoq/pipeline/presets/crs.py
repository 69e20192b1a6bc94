"""Mapping between Camera Raw (``crs:``) property names and :class:`DevelopSettings` fields.

Used both ways: importing an XMP preset or sidecar (:func:`settings_from_crs`) and writing the
applied preset back into a sidecar (:func:`crs_from_settings`). Properties are sorted into three
kinds:

* **rendered** — mapped onto a settings field;
* **metadata** — describe the preset rather than the picture (name, UUID, ``Supports*`` …);
* everything else — **unsupported**: returned by name with its value as written, unless it sits
  at the value that has no effect (``GrainAmount=0``, ``Texture=0`` …; see :data:`NO_EFFECT`).
  Nothing is dropped silently: a property photoq neither renders nor knows to be a no-op is listed.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from photoq.pipeline.presets.model import HSL_BANDS, BadPreset, Curve, DevelopSettings

if TYPE_CHECKING:
    from collections.abc import Mapping

SCALARS: dict[str, str] = {
    "Exposure2012": "exposure",
    "Contrast2012": "contrast",
    "Highlights2012": "highlights",
    "Shadows2012": "shadows",
    "Whites2012": "whites",
    "Blacks2012": "blacks",
    "Temperature": "temperature",
    "Tint": "tint",
    "IncrementalTemperature": "incremental_temperature",
    "IncrementalTint": "incremental_tint",
    "Vibrance": "vibrance",
    "Saturation": "saturation",
    "Clarity2012": "clarity",
    "Dehaze": "dehaze",
    "PostCropVignetteAmount": "vignette",
    "Sharpness": "sharpness",
    "CropTop": "crop_top",
    "CropLeft": "crop_left",
    "CropBottom": "crop_bottom",
    "CropRight": "crop_right",
    "CropAngle": "crop_angle",
}
CURVES = {
    "ToneCurvePV2012": "tone_curve",
    "ToneCurvePV2012Red": "tone_curve_red",
    "ToneCurvePV2012Green": "tone_curve_green",
    "ToneCurvePV2012Blue": "tone_curve_blue",
}
HSL = {"HueAdjustment": "hsl_hue", "SaturationAdjustment": "hsl_saturation"}
HSL["LuminanceAdjustment"] = "hsl_luminance"
CROP = frozenset(("CropTop", "CropLeft", "CropBottom", "CropRight", "CropAngle"))

METADATA = frozenset(
    (
        "PresetType", "Cluster", "UUID", "CameraModelRestriction", "Copyright", "ContactInfo",
        "Version", "CompatibleVersion", "ProcessVersion", "HasSettings", "Name", "ShortName",
        "SortName", "Group", "Description", "SupportsAmount", "SupportsAmount2", "SupportsColor",
        "SupportsMonochrome", "SupportsHighDynamicRange", "SupportsNormalDynamicRange",
        "SupportsSceneReferred", "SupportsOutputReferred", "RequiresRGBTables",
        "RequiresRenditionBehavior", "ToneCurveName2012", "ToneCurveName", "AlreadyApplied",
        "HasCrop", "Treatment", "CropConstrainToWarp", "CropUnit", "CropWidth", "CropHeight",
        "RawFileName", "Amount",
    )
)  # fmt: skip

# Unrendered properties at these values change nothing, so listing them would only be noise.
NO_EFFECT: dict[str, object] = {
    "WhiteBalance": "As Shot",
    "ConvertToGrayscale": False,
    "Texture": 0,
    "GrainAmount": 0,
    "LuminanceSmoothing": 0,
    "ParametricShadows": 0,
    "ParametricDarks": 0,
    "ParametricLights": 0,
    "ParametricHighlights": 0,
    "SplitToningShadowSaturation": 0,
    "SplitToningHighlightSaturation": 0,
    "VignetteAmount": 0,
    "DefringePurpleAmount": 0,
    "DefringeGreenAmount": 0,
    "LensManualDistortionAmount": 0,
    "PerspectiveVertical": 0,
    "PerspectiveHorizontal": 0,
    "PerspectiveRotate": 0,
    "PerspectiveAspect": 0,
    "PerspectiveUpright": 0,
    "AutoLateralCA": 0,
    "LensProfileEnable": 0,
    "ShadowTint": 0,
    "AutoTone": False,
    "Exposure": 0,
    "Contrast": 0,
    "Clarity": 0,
    "RedHue": 0,
    "RedSaturation": 0,
    "GreenHue": 0,
    "GreenSaturation": 0,
    "BlueHue": 0,
    "BlueSaturation": 0,
    "PerspectiveX": 0,
    "PerspectiveY": 0,
    "PerspectiveScale": 100,
    "OverrideLookVignette": False,
    # the sharpening photoq renders is Lightroom's default radius, detail and masking
    "SharpenRadius": 1.0,
    "SharpenDetail": 25,
    "SharpenEdgeMasking": 0,
    "SharpnessRadius": 1.0,
    "SharpnessDetail": 25,
    "SharpnessEdgeMasking": 0,
    # noise reduction at Lightroom's defaults (it acts on raw files only)
    "ColorNoiseReduction": 25,
    "ColorNoiseReductionDetail": 50,
    "ColorNoiseReductionSmoothness": 50,
    "LuminanceNoiseReductionDetail": 50,
    "LuminanceNoiseReductionContrast": 0,
}
NO_EFFECT |= {f"ColorGrade{part}{kind}": 0 for part in ("Shadow", "Midtone", "Highlight", "Global")
              for kind in ("Sat", "Lum")}  # fmt: skip
# Settings that only qualify another one (they have no effect when it is off or zero).
QUALIFIERS = {
    "ParametricShadowSplit": "Parametric*",
    "ParametricMidtoneSplit": "Parametric*",
    "ParametricHighlightSplit": "Parametric*",
    "SplitToningShadowHue": "SplitToningShadowSaturation",
    "SplitToningHighlightHue": "SplitToningHighlightSaturation",
    "SplitToningBalance": "SplitToning*Saturation",
    "GrainSize": "GrainAmount",
    "GrainFrequency": "GrainAmount",
    "PostCropVignetteMidpoint": "PostCropVignetteAmount",
    "PostCropVignetteFeather": "PostCropVignetteAmount",
    "PostCropVignetteRoundness": "PostCropVignetteAmount",
    "PostCropVignetteStyle": "PostCropVignetteAmount",
    "PostCropVignetteHighlightContrast": "PostCropVignetteAmount",
    "SharpenRadius": "Sharpness",
    "SharpenDetail": "Sharpness",
    "SharpenEdgeMasking": "Sharpness",
    "SharpnessRadius": "Sharpness",
    "SharpnessDetail": "Sharpness",
    "SharpnessEdgeMasking": "Sharpness",
    "ColorGradeShadowHue": "ColorGradeShadowSat",
    "ColorGradeMidtoneHue": "ColorGradeMidtoneSat",
    "ColorGradeHighlightHue": "ColorGradeHighlightSat",
    "ColorGradeGlobalHue": "ColorGradeGlobalSat",
    "ColorGradeBlending": "ColorGrade*(Sat|Lum)",
    "ColorGradeBalance": "ColorGrade*(Sat|Lum)",
    "DefringePurpleHueLo": "DefringePurpleAmount",
    "DefringePurpleHueHi": "DefringePurpleAmount",
    "DefringeGreenHueLo": "DefringeGreenAmount",
    "DefringeGreenHueHi": "DefringeGreenAmount",
}


def settings_from_crs(
    crs: Mapping[str, object], where: str
) -> tuple[DevelopSettings, dict[str, str]]:
    """Settings and the unsupported properties (name → value as text) of a ``crs:`` mapping."""
    values: dict[str, object] = {}
    bands: dict[str, list[float]] = {name: [0.0] * 8 for name in HSL.values()}
    rendered: set[str] = set()
    for key, value in crs.items():
        if key in SCALARS:
            if key in CROP and crs.get("HasCrop") is not True:
                continue  # crop values without HasCrop=True are leftovers Lightroom ignores
            values[SCALARS[key]] = _number(key, value, where)
        elif key in CURVES:
            values[CURVES[key]] = _curve(key, value, where)
        elif key == "ConvertToGrayscale":
            values["convert_to_grayscale"] = value is True
        elif _hsl_slot(key) is not None:
            field_name, band = _hsl_slot(key)  # type: ignore[misc]
            bands[field_name][band] = _number(key, value, where)
        else:
            continue
        rendered.add(key)
    values.update({name: tuple(vals) for name, vals in bands.items()})
    if crs.get("WhiteBalance") not in (None, "As Shot") and "Temperature" in crs:
        rendered.add("WhiteBalance")  # "Custom", "Cloudy" …: the kelvin value says it all
    settings = DevelopSettings(**values)  # type: ignore[arg-type]
    settings.validate(where)
    return settings, _unsupported(crs, rendered)


PROCESS_VERSION = "11.0"
"""``crs:ProcessVersion`` written beside photoq's settings: the 2012 process (Lightroom Classic 7+),
whose ``*2012`` controls photoq maps."""

# Lightroom writes these with decimals; every other numeric control is a whole number.
_DECIMALS = {"Exposure2012": 2}
_FRACTIONS = frozenset((*CROP, "Amount"))


def crs_text(name: str, value: str | float | bool) -> str:
    """One ``crs:`` value as Lightroom writes it; shared by sidecars and XMP preset export.

    ``True``/``False``; ``Exposure2012`` signed with two decimals (``+0.50``, ``0.00``,
    ``-1.25``); crop edges and angle as plain decimals (``0.05``, ``-2.5``); ``Temperature`` a
    whole number without sign (``5500``); every other control a whole number signed with ``+``
    when positive (``+10``, ``0``, ``-23``). Text is kept verbatim.
    """
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return value
    if name in _DECIMALS:
        text = f"{value:+.{_DECIMALS[name]}f}"
        return text[1:] if float(text) == 0 else text
    if name in _FRACTIONS:
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    number = round(value)
    if name == "Temperature" or number == 0:
        return str(abs(number) if number == 0 else number)
    return f"{number:+d}"


def curve_text(curve: Curve) -> list[str]:
    """A tone curve as Lightroom's ``rdf:Seq`` items: whole-number ``"x, y"`` points."""
    out: list[str] = []
    last_x = -1
    for x, y in curve:
        rx, ry = round(x), round(y)
        if rx > last_x:  # rounding never makes two points share an x
            out.append(f"{rx}, {ry}")
            last_x = rx
    return out


def crs_from_settings(settings: DevelopSettings) -> dict[str, str | list[str]]:
    """The ``crs:`` properties (as XMP text, see :func:`crs_text`) that reproduce ``settings``:
    ``ProcessVersion`` first, then the settings that are not neutral."""
    out: dict[str, str | list[str]] = {"ProcessVersion": PROCESS_VERSION}
    names = {v: k for k, v in SCALARS.items()} | {v: k for k, v in CURVES.items()}
    changed = settings.changed()
    for name, value in changed.items():
        if name in ("hsl_hue", "hsl_saturation", "hsl_luminance"):
            prefix = next(k for k, v in HSL.items() if v == name)
            for band, amount in zip(HSL_BANDS, value, strict=True):  # type: ignore[call-overload]
                key = f"{prefix}{band.capitalize()}"
                if round(amount):
                    out[key] = crs_text(key, amount)
        elif name == "convert_to_grayscale":
            out["ConvertToGrayscale"] = "True"
        elif name.startswith("tone_curve"):
            out[names[name]] = curve_text(value)  # type: ignore[arg-type]
        else:
            out[names[name]] = crs_text(names[name], value)  # type: ignore[arg-type]
    if any(name.startswith("crop_") for name in changed):
        out["HasCrop"] = "True"
    return out


def _hsl_slot(key: str) -> tuple[str, int] | None:
    for prefix, field_name in HSL.items():
        band = key.removeprefix(prefix).lower()
        if key.startswith(prefix) and band in HSL_BANDS:
            return field_name, HSL_BANDS.index(band)
    return None


def _number(key: str, value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        msg = f"{where}: crs:{key}={value!r} is not a number"
        raise BadPreset(msg)
    return float(value)


def _curve(key: str, value: object, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list):
        msg = f"{where}: crs:{key} is not a list of points"
        raise BadPreset(msg)
    try:
        points = [tuple(float(v) for v in str(p).split(",")) for p in value]
    except ValueError as exc:
        msg = f"{where}: crs:{key} has a point that is not 'x, y'"
        raise BadPreset(msg) from exc
    if any(len(p) != 2 for p in points):
        msg = f"{where}: crs:{key} has a point that is not 'x, y'"
        raise BadPreset(msg)
    return tuple((p[0], p[1]) for p in points)


def _unsupported(crs: Mapping[str, object], rendered: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in crs.items():
        if key in rendered or key in METADATA or key in SCALARS or key in CURVES:
            continue
        if key in NO_EFFECT and value == NO_EFFECT[key]:
            continue
        if isinstance(value, dict) and all(v in ("", 0, None) for v in value.values()):
            continue  # an empty structure, e.g. a Look with no name
        gate = QUALIFIERS.get(key)
        if gate is not None and not _active(crs, gate):
            continue
        if key.startswith("LensProfile") and crs.get("LensProfileEnable") in (0, None):
            continue  # a lens profile that is not enabled
        if key.startswith("GrayMixer") and crs.get("ConvertToGrayscale") is not True:
            continue  # the B&W mixer only acts on a grayscale conversion
        out[key] = _as_text(value)
    return out


def _active(crs: Mapping[str, object], gate: str) -> bool:
    """Whether a property matching ``gate`` (``*`` = any text) is present and not a no-op."""
    pattern = re.compile(gate.replace("*", ".*"))
    return any(
        pattern.fullmatch(k) and k not in QUALIFIERS and v not in (0, False, None)
        for k, v in crs.items()
    )


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        if "items" in value and len(value) == 1:
            return f"{value['items']} structured entries (local adjustments)"
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "structure"
    return str(value)
