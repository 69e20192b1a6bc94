"""Presets written as Lightroom XMP presets, and the ``crs:`` formatting sidecars share."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from photoq.pipeline.export.sidecar import sidecar_properties
from photoq.pipeline.presets import builtin_presets, crs_from_settings, read_preset
from photoq.pipeline.presets.crs import crs_text
from photoq.pipeline.presets.model import DevelopSettings, Preset
from photoq.pipeline.presets.xmp_format import preset_from_xmp, read_crs
from photoq.pipeline.presets.xmp_writer import dump_xmp_preset, preset_uuid

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EXPORTED = sorted((CORPUS / "presets" / "lightroom_xmp_exported").glob("*.xmp"))
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
CRS = "{http://ns.adobe.com/camera-raw-settings/1.0/}"
INTEGER = re.compile(r"0|[+-][1-9]\d*")


def _sidecar_crs(settings: Mapping[str, str | int | float]) -> dict[str, str]:
    props = sidecar_properties(rating=3, label=None, pick=None, settings=settings)
    return {p.name: p.value for p in props}


def _close(a: DevelopSettings, b: DevelopSettings, tolerance: float) -> None:
    """The same settings, within Lightroom's rounding (whole numbers, exposure 0.01)."""
    for f in fields(DevelopSettings):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, tuple):
            flat_x = [v for p in x for v in (p if isinstance(p, tuple) else (p,))]
            flat_y = [v for p in y for v in (p if isinstance(p, tuple) else (p,))]
            assert flat_x == pytest.approx(flat_y, abs=tolerance), f.name
        elif isinstance(x, float) and not isinstance(x, bool):
            assert x == pytest.approx(y, abs=tolerance), f.name
        else:
            assert x == y, f.name


def test_crs_text_writes_what_lightroom_writes():
    assert crs_text("Exposure2012", 0.5) == "+0.50"
    assert crs_text("Exposure2012", 0.0) == "0.00"
    assert crs_text("Exposure2012", -1.254) == "-1.25"
    assert crs_text("Contrast2012", 10.5) in ("+10", "+11")
    assert crs_text("Contrast2012", 12.6) == "+13"
    assert crs_text("Blacks2012", -23.0) == "-23"
    assert crs_text("HueAdjustmentRed", 0.2) == "0"
    assert crs_text("Temperature", 5500.4) == "5500"
    assert crs_text("Sharpness", 40) == "+40"
    assert crs_text("CropLeft", 0.1) == "0.1"
    assert crs_text("ConvertToGrayscale", True) == "True"
    assert crs_text("Exposure2012", "+0.10") == "+0.10"  # text read from a preset stays as is


def test_crs_from_settings_has_process_version_and_integers():
    blended = DevelopSettings(contrast=21, clarity=-15, tone_curve=((0, 0), (64, 70), (255, 255)))
    crs = crs_from_settings(blended.blended(0.5))
    assert crs["ProcessVersion"] == "11.0"
    assert crs["Contrast2012"] == "+10"  # 10.5, not "+10.5"
    assert INTEGER.fullmatch(str(crs["Clarity2012"]))
    assert crs["ToneCurvePV2012"] == ["0, 0", "64, 67", "255, 255"]


def test_sidecar_crs_values_use_the_same_formatting():
    settings = {
        k: v
        for k, v in crs_from_settings(DevelopSettings(contrast=10.5, exposure=0.5)).items()
        if isinstance(v, str)
    }
    props = _sidecar_crs(settings)
    assert props["ProcessVersion"] == "11.0"
    assert props["Contrast2012"] in ("+10", "+11")
    assert props["Exposure2012"] == "+0.50"
    raw = _sidecar_crs({"Contrast2012": 20.4})
    assert raw["Contrast2012"] == "+20"


def test_xmp_preset_has_lightroom_shape():
    preset = builtin_presets()["natural"]
    root = fromstring(dump_xmp_preset(preset))
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    [desc] = root.iter(f"{RDF}Description")
    attr = {k.removeprefix(CRS): v for k, v in desc.attrib.items() if k.startswith(CRS)}
    assert attr["PresetType"] == "Normal"
    assert attr["Cluster"] == ""
    assert re.fullmatch(r"[0-9A-F]{32}", attr["UUID"])
    assert attr["UUID"] == preset_uuid(preset) == preset_uuid(Preset(name="natural"))
    assert attr["UUID"] != preset_uuid(Preset(name="natural", version=2))
    assert attr["SupportsAmount"] == "True"
    assert {attr["SupportsColor"], attr["SupportsMonochrome"]} <= {"True", "False"}
    assert attr["ProcessVersion"] == "11.0"
    assert attr["Version"]
    assert attr["HasSettings"] == "True"
    name = desc.find(f"{CRS}Name/{RDF}Alt/{RDF}li")
    assert name is not None
    assert name.text == "natural"
    assert name.get("{http://www.w3.org/XML/1998/namespace}lang") == "x-default"


@pytest.mark.parametrize("name", sorted(builtin_presets()))
def test_builtin_presets_round_trip_through_xmp(name):
    preset = builtin_presets()[name]
    again = preset_from_xmp(dump_xmp_preset(preset), f"{name}.xmp")
    assert again.name == name
    assert again.unsupported == {}
    _close(again.settings, preset.settings, 0.5)


def test_fractional_settings_round_trip_within_rounding():
    settings = DevelopSettings(
        exposure=0.333, contrast=10.4, hsl_hue=(1.4, 0, 0, 0, 0, -3.6, 0, 0), crop_left=0.125,
        tone_curve=((0, 3.2), (128.4, 140.6), (255, 250)), convert_to_grayscale=True,
    )  # fmt: skip
    again = preset_from_xmp(dump_xmp_preset(Preset(name="odd & <fractional>", settings=settings)))
    assert again.name == "odd & <fractional>"
    _close(again.settings, settings, 0.5)
    crs = read_crs(dump_xmp_preset(Preset(name="x", settings=settings)))
    assert crs["SupportsMonochrome"] is True


@pytest.mark.skipif(not EXPORTED, reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", EXPORTED, ids=lambda p: p.stem)
def test_lightroom_preset_survives_import_export_import(path):
    first = read_preset(path)
    second = preset_from_xmp(dump_xmp_preset(first), path.name)
    assert second.name == first.name
    _close(second.settings, first.settings, 0.5)
    third = preset_from_xmp(dump_xmp_preset(second), path.name)
    assert third.settings == second.settings  # stable once rounded


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_reads_the_exported_preset(tmp_path):
    settings = DevelopSettings(contrast=10.5, exposure=0.5, tone_curve=((0, 10), (255, 255)))
    path = tmp_path / "p.xmp"
    path.write_bytes(dump_xmp_preset(Preset(name="Mine", settings=settings)))
    xml = subprocess.run(
        ["exiftool", "-X", str(path)], capture_output=True, check=True, text=True
    ).stdout
    tags = dict(re.findall(r"<XMP-crs:(\w+)>([^<]*)</XMP-crs:\1>", xml))
    assert tags["ProcessVersion"] == "11.0"
    assert tags["PresetType"] == "Normal"
    assert tags["Exposure2012"] == "+0.50"
    assert INTEGER.fullmatch(tags["Contrast2012"])
    assert "Mine" in xml
    assert re.search(r"<XMP-crs:Name>\s*(<rdf:Alt>\s*<rdf:li xml:lang='x-default'>)?Mine", xml)
    assert "0, 10" in xml
