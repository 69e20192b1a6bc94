"""Preset readers: Lightroom XMP against ExifTool's values, our own format, built-ins, bad files."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from photoq.errors import PermanentError
from photoq.pipeline.presets.crs import CURVES, METADATA, SCALARS, crs_from_settings
from photoq.pipeline.presets.library import (
    builtin_presets,
    dump_preset,
    get_builtin,
    load_preset,
    parse_preset,
    read_preset,
)
from photoq.pipeline.presets.model import HSL_BANDS, BadPreset, DevelopSettings
from photoq.pipeline.presets.xmp_format import read_crs
from tests.conftest import CORPUS

PRESETS = CORPUS / "presets"
_TRUTH_FILE = PRESETS / "truth_presets.json"
# Without the corpus the parametrised corpus tests collect no cases; the rest still run.
TRUTH = json.loads(_TRUTH_FILE.read_text()) if _TRUTH_FILE.exists() else {}
XMP_TRUTH = {k: v for k, v in TRUTH.items() if v["format"] == "xmp"}
NOT_TAGS = {"format", "kind", "xml_wellformed", "crs_tag_count", "hsl_nonzero", "has_local_masks"}
HSL_PREFIXES = ("HueAdjustment", "SaturationAdjustment", "LuminanceAdjustment")


@pytest.mark.parametrize("key", sorted(XMP_TRUTH), ids=lambda k: k.split("/")[-1])
def test_xmp_import_matches_exiftool(key):
    truth = XMP_TRUTH[key]
    data = (CORPUS / key).read_bytes()
    crs = read_crs(data, key)
    for tag, expected in truth.items():
        if tag not in NOT_TAGS:
            assert crs[tag] == expected, tag
    assert len(crs) == truth["crs_tag_count"]
    hsl = [v for k, v in crs.items() if k.startswith(HSL_PREFIXES) and k[-1] != "2"]
    assert sum(1 for v in hsl if v) == truth["hsl_nonzero"]

    preset = read_preset(CORPUS / key)
    assert preset.name == truth["Name"]
    assert preset.source == "xmp"
    settings = preset.settings
    for tag, name in SCALARS.items():
        if tag in truth and not tag.startswith("Crop"):
            assert getattr(settings, name) == pytest.approx(truth[tag]), tag
    for tag, name in CURVES.items():
        if tag in truth:
            points = tuple(tuple(float(v) for v in p.split(",")) for p in truth[tag])
            assert getattr(settings, name) == points
    if "ConvertToGrayscale" in truth:
        assert settings.convert_to_grayscale is truth["ConvertToGrayscale"]
    for i, band in enumerate(HSL_BANDS):
        assert settings.hsl_hue[i] == crs.get(f"HueAdjustment{band.capitalize()}", 0)
        assert settings.hsl_luminance[i] == crs.get(f"LuminanceAdjustment{band.capitalize()}", 0)
    if truth["has_local_masks"]:
        assert "MaskGroupBasedCorrections" in preset.unsupported


@pytest.mark.parametrize("key", sorted(XMP_TRUTH), ids=lambda k: k.split("/")[-1])
def test_unrendered_settings_are_listed_not_dropped(key):
    crs = read_crs((CORPUS / key).read_bytes())
    preset = read_preset(CORPUS / key)
    rendered = set(SCALARS) | set(CURVES) | {"ConvertToGrayscale", "WhiteBalance"}
    for tag, value in crs.items():
        if tag in METADATA or tag in rendered or tag.startswith(HSL_PREFIXES):
            continue
        if tag in preset.unsupported:
            assert preset.unsupported[tag]
            continue
        # not listed: only allowed for a value that has no effect
        assert value in (0, False, "", "As Shot") or tag.endswith(
            ("Hue", "HueLo", "HueHi", "Blending", "Balance", "Split", "Size", "Frequency",
             "Midpoint", "Feather", "Roundness", "Style", "HighlightContrast", "Radius",
             "Detail", "Scale", "Reduction", "Smoothness", "Look")
        ) or tag.startswith(("GrayMixer", "LensProfile", "ColorNoise")), (tag, value)  # fmt: skip


def test_known_unsupported_settings_are_reported():
    preset = read_preset(PRESETS / "lightroom_xmp_handwritten/Black-White__Agfa APX 25.xmp")
    assert preset.settings.convert_to_grayscale is True
    assert preset.unsupported["GrainAmount"] == "15"
    assert preset.unsupported["GrayMixerRed"] == "25"
    wedding = read_preset(PRESETS / "lightroom_xmp_exported/canon_toning__sweden_wedding_01.xmp")
    assert wedding.unsupported["ShadowTint"] == "5"
    assert "Texture" not in wedding.unsupported  # Texture=0 has no effect


def test_child_element_values_and_temperature():
    xmp = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
      xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description
      xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/" crs:HasCrop="True"
      crs:CropTop="0.1" crs:CropLeft="0.2" crs:CropBottom="0.9" crs:CropRight="0.8"
      crs:CropAngle="-2.5" crs:Temperature="6500">
      <crs:Exposure2012>+1.25</crs:Exposure2012>
      <crs:SaturationAdjustmentBlue>-40</crs:SaturationAdjustmentBlue>
      <crs:ConvertToGrayscale>False</crs:ConvertToGrayscale>
      <crs:FancyNewThing>7</crs:FancyNewThing>
    </rdf:Description></rdf:RDF></x:xmpmeta>"""
    preset = parse_preset(xmp, "IMG_0001.xmp")
    s = preset.settings
    assert preset.name == "IMG_0001"
    assert s.exposure == 1.25
    assert s.hsl_saturation[5] == -40
    assert s.temperature == 6500
    assert (s.crop_top, s.crop_left, s.crop_bottom, s.crop_right) == (0.1, 0.2, 0.9, 0.8)
    assert s.crop_angle == -2.5
    assert preset.unsupported == {"FancyNewThing": "7"}


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<x:xmpmeta><unclosed>",
        b"<x/>",
    ],
    ids=["billion-laughs", "xxe", "malformed", "no-crs"],
)
def test_hostile_or_broken_xmp_is_a_permanent_error(tmp_path, payload):
    path = tmp_path / "evil.xmp"
    path.write_bytes(payload)
    with pytest.raises(BadPreset, match=r"evil\.xmp") as info:
        read_preset(path)
    assert isinstance(info.value, PermanentError)
    assert "\n" not in str(info.value)


def test_own_format_round_trips_every_preset():
    for path in sorted(PRESETS.glob("lightroom_xmp_*/*.xmp")):
        preset = read_preset(path)
        assert load_preset(dump_preset(preset), "copy.yaml") == preset
    full = DevelopSettings(
        exposure=-1.5, temperature=4000, tint=8, tone_curve=((0, 10), (100, 90), (255, 240)),
        hsl_hue=(1, 2, 3, 4, 5, 6, 7, 8), convert_to_grayscale=True, crop_angle=3,
        crop_left=0.1, crop_right=0.95,
    )  # fmt: skip
    preset = load_preset(dump_preset(get_builtin("vivid")), "v.yaml")
    assert preset == get_builtin("vivid")
    custom = type(preset)(name="all", settings=full, version=3, unsupported={"X": "1"})
    assert load_preset(dump_preset(custom), "all.yaml") == custom


def test_builtin_presets_are_documented_and_valid():
    presets = builtin_presets()
    assert set(presets) == {
        "natural", "vivid", "portrait_soft", "landscape", "night_clean", "black_and_white",
        "backlit_lift", "golden_warm",
    }  # fmt: skip
    assert presets["black_and_white"].settings.convert_to_grayscale
    assert all(p.source == "builtin" and not p.settings.is_neutral() for p in presets.values())
    with pytest.raises(BadPreset, match="no built-in preset 'nope'"):
        get_builtin("nope")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("format: photoq-preset/1\nname: x\nsettings: {exposur: 1}\n", "unknown setting 'exposur'"),
        ("format: photoq-preset/1\nname: x\nsettings: {exposure: 9}\n", "exposure=9.0 is outside"),
        ("format: photoq-preset/1\nname: x\nsettings: {contrast: high}\n", "must be a number"),
        ("format: photoq-preset/1\nname: ''\n", "'name' must be"),
        ("name: x\n", "not a photoq preset"),
        (
            "format: photoq-preset/1\nname: x\nsettings:\n  tone_curve: [[0, 0], [0, 9]]\n",
            "strictly increasing",
        ),
        ("format: photoq-preset/1\nname: x\nsettings: {hsl_hue: {teal: 3}}\n", "unknown band"),
        ("format: [unclosed\n", "not a readable preset"),
        ("!!python/object/apply:os.system ['true']\n", "not a readable preset"),
    ],
)
def test_bad_own_format_is_rejected_with_a_reason(text, reason):
    with pytest.raises(BadPreset, match=r"mine\.yaml") as info:
        load_preset(text, "mine.yaml")
    assert reason in str(info.value)


def test_unknown_file_type_is_rejected(tmp_path):
    path = tmp_path / "preset.lrtemplate"
    path.write_text("s = { }")
    with pytest.raises(BadPreset, match=r"preset\.lrtemplate: not a preset format"):
        read_preset(path)
    with pytest.raises(BadPreset, match="cannot read preset"):
        read_preset(tmp_path / "missing.xmp")


def test_settings_write_back_as_crs():
    settings = DevelopSettings(
        exposure=0.5, hsl_saturation=(0, 0, 0, 0, 0, -20, 0, 0), convert_to_grayscale=True,
        tone_curve=((0, 5), (255, 250)), crop_left=0.1,
    )  # fmt: skip
    crs = crs_from_settings(settings)
    assert crs["Exposure2012"] == "+0.50"
    assert crs["ProcessVersion"] == "11.0"
    assert crs["SaturationAdjustmentBlue"] == "-20"
    assert crs["ToneCurvePV2012"] == ["0, 5", "255, 250"]
    assert crs["HasCrop"] == "True"
    assert crs["ConvertToGrayscale"] == "True"
    assert {f.name for f in fields(DevelopSettings)} >= {"exposure", "crop_angle"}
