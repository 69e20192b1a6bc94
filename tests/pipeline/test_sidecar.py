"""photoq.pipeline.export.sidecar: fresh sidecars, byte-for-byte merges, refusal, ExifTool round
trip."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import pytest

from photoq.pipeline.export.errors import SidecarError
from photoq.pipeline.export.sidecar import (
    NS_CRS,
    NS_DIGIKAM,
    NS_XMP,
    NS_XMP_DM,
    sidecar_path,
    write_sidecar,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EXIFTOOL_XMP = sorted((CORPUS / "exiftool+exiftool" / "t" / "images").glob("XMP*.xmp"))
LIGHTROOM_XMP = sorted((CORPUS / "presets" / "lightroom_xmp_exported").glob("*.xmp"))
PHOTO = CORPUS / "Exiv2+exiv2" / "test" / "data" / "FurnaceCreekInn.jpg"

# A Lightroom-style sidecar: crs develop settings, keywords, a foreign namespace, a comment,
# single and double quotes, and our four fields already present as attributes.
LIGHTROOM_LIKE = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpDM="http://ns.adobe.com/xmp/1.0/DynamicMedia/"
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
   xmp:Rating="2"
   xmp:Label='Blue'
   xmpDM:pick="0"
   digiKam:PickLabel="0"
   crs:Version="15.0"
   crs:Exposure2012="+0.10"
   crs:Clarity2012="+12"
   crs:HasSettings="True">
   <!-- keywords typed in Lightroom -->
   <dc:subject>
    <rdf:Bag>
     <rdf:li>sunset</rdf:li>
     <rdf:li>Death Valley &amp; friends</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>places|USA|California</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""

# Our properties, in either form, and the namespace declarations we may add.
_OURS = re.compile(
    rb"""\s+(?:xmlns:(?:xmp\d*|xmpDM|digiKam|crs)|(?:xmp\d*|xap):(?:Rating|Label)|xmpDM:pick"""
    rb"""|digiKam:PickLabel|crs:(?:Exposure2012|Contrast2012|HasSettings))\s*=\s*("[^"]*"|'[^']*')"""
)
_OUR_ELEMENTS = re.compile(rb"<((?:xmp|xap):(?:Rating|Label))>[^<]*</\1>")


def _without_ours(packet: bytes) -> bytes:
    return _OUR_ELEMENTS.sub(rb"<\1/>", _OURS.sub(b"", packet))


def _parse(path: Path) -> ET.Element:
    # f-spot's packet header holds a 0x1A byte that XML parsers reject; its content is unused.
    return ET.fromstring(re.sub(rb"<\?xpacket.*?\?>", b"", path.read_bytes()))


def _values(path: Path) -> dict[str, str]:
    """Our four fields as an XML parser reads them (attribute or element form)."""
    root = _parse(path)
    out: dict[str, str] = {}
    names = {
        f"{{{NS_XMP}}}Rating": "Rating",
        f"{{{NS_XMP}}}Label": "Label",
        f"{{{NS_XMP_DM}}}pick": "pick",
        f"{{{NS_DIGIKAM}}}PickLabel": "PickLabel",
        f"{{{NS_CRS}}}Exposure2012": "Exposure2012",
    }
    for desc in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        for key, value in desc.attrib.items():
            if key in names:
                out[names[key]] = value
        for child in desc:
            if child.tag in names and child.text:
                out[names[child.tag]] = child.text
    return out


@pytest.fixture
def original(tmp_path: Path) -> Path:
    """A real camera JPEG copied next to where its sidecar goes, with a fixed old mtime."""
    if not PHOTO.exists():
        pytest.skip("corpus photo not available")
    path = tmp_path / "IMG_0001.jpg"
    shutil.copyfile(PHOTO, path)
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return path


def _untouched(original: Path) -> None:
    assert original.read_bytes() == PHOTO.read_bytes()
    assert original.stat().st_mtime_ns == 1_600_000_000_000_000_000


def test_sidecar_is_named_after_the_stem():
    assert sidecar_path(Path("/shoot/IMG_0001.CR2")) == Path("/shoot/IMG_0001.xmp")
    assert sidecar_path(Path("/shoot/a.b.jpg")) == Path("/shoot/a.b.xmp")


def test_fresh_sidecar_has_the_four_fields_and_crs(original):
    path = write_sidecar(
        original, rating=4, label="Green", pick=True, develop_settings={"Exposure2012": 0.5}
    )
    assert path == original.with_suffix(".xmp")
    assert _values(path) == {
        "Rating": "4",
        "Label": "Green",
        "pick": "1",
        "PickLabel": "3",
        "Exposure2012": "+0.50",
    }
    assert b'crs:HasSettings="True"' in path.read_bytes()
    assert sorted(p.name for p in original.parent.iterdir()) == ["IMG_0001.jpg", "IMG_0001.xmp"]
    _untouched(original)


@pytest.mark.parametrize(
    ("rating", "pick", "expected"),
    [
        (-1, None, {"Rating": "-1", "pick": "-1", "PickLabel": "1"}),
        (3, False, {"Rating": "-1", "pick": "-1", "PickLabel": "1"}),
        (0, None, {"Rating": "0", "pick": "0", "PickLabel": "0"}),
        (5, True, {"Rating": "5", "pick": "1", "PickLabel": "3"}),
    ],
)
def test_reject_pick_and_none(original, rating, pick, expected):
    path = write_sidecar(original, rating=rating, label=None, pick=pick, develop_settings=None)
    assert _values(path) == expected


@pytest.mark.parametrize("rating", [-2, 6])
def test_bad_rating_or_contradiction_refused(original, rating):
    with pytest.raises(SidecarError):
        write_sidecar(original, rating=rating, label=None, pick=None, develop_settings=None)
    with pytest.raises(SidecarError, match="both picked"):
        write_sidecar(original, rating=-1, label=None, pick=True, develop_settings=None)
    assert not sidecar_path(original).exists()


def test_merge_changes_only_our_values(original):
    sidecar = sidecar_path(original)
    sidecar.write_bytes(LIGHTROOM_LIKE)
    write_sidecar(
        original,
        rating=5,
        label="Red",
        pick=True,
        develop_settings={"Exposure2012": "+0.50", "Contrast2012": 20},
    )
    merged = sidecar.read_bytes()
    expected = (
        LIGHTROOM_LIKE.replace(b'xmp:Rating="2"', b'xmp:Rating="5"')
        .replace(b"xmp:Label='Blue'", b"xmp:Label='Red'")
        .replace(b'xmpDM:pick="0"', b'xmpDM:pick="1"')
        .replace(b'digiKam:PickLabel="0"', b'digiKam:PickLabel="3"')
        .replace(b'crs:Exposure2012="+0.10"', b'crs:Exposure2012="+0.50"')
        .replace(b'crs:HasSettings="True">', b'crs:HasSettings="True"\n   crs:Contrast2012="+20">')
    )
    assert merged == expected
    _untouched(original)


def test_values_are_escaped_in_either_quote_style(original):
    sidecar = sidecar_path(original)
    sidecar.write_bytes(LIGHTROOM_LIKE)  # its xmp:Label uses single quotes
    label = 'It\'s "<mine>" & yours'
    write_sidecar(original, rating=1, label=label, pick=None, develop_settings=None)
    assert _values(sidecar)["Label"] == label
    fresh = write_sidecar(
        original.with_name("IMG_0002.jpg"), rating=1, label=label, pick=None, develop_settings=None
    )
    assert _values(fresh)["Label"] == label


def test_label_none_keeps_the_existing_label(original):
    sidecar = sidecar_path(original)
    sidecar.write_bytes(LIGHTROOM_LIKE)
    write_sidecar(original, rating=2, label=None, pick=None, develop_settings=None)
    assert _values(sidecar)["Label"] == "Blue"


@pytest.mark.parametrize("source", EXIFTOOL_XMP + LIGHTROOM_XMP, ids=lambda p: p.name)
def test_merge_into_real_sidecars_keeps_everything_else(original, source):
    sidecar = sidecar_path(original)
    before = source.read_bytes()
    sidecar.write_bytes(before)
    write_sidecar(
        original, rating=-1, label="Yellow", pick=None, develop_settings={"Exposure2012": -1.0}
    )
    after = sidecar.read_bytes()
    assert _without_ours(after) == _without_ours(before)
    assert _values(sidecar) == {
        "Rating": "-1",
        "Label": "Yellow",
        "pick": "-1",
        "PickLabel": "1",
        "Exposure2012": "-1.00",
    }


def test_writing_twice_gives_identical_bytes_and_no_rewrite(original):
    write = partial(
        write_sidecar,
        original,
        rating=3,
        label="Purple",
        pick=None,
        develop_settings={"Vibrance": 10},
    )
    path = write()
    first, stat = path.read_bytes(), path.stat()
    write()
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert path.stat().st_ino == stat.st_ino
    _untouched(original)


@pytest.mark.parametrize(
    "content",
    [
        b"this is not XML at all",
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF",  # truncated
        b"<html><body>not xmp</body></html>",
        b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:title="&lol2;"/>
</rdf:RDF></x:xmpmeta>""",
        b"\xff\xfe<\x00x\x00",  # UTF-16
    ],
    ids=["text", "truncated", "html", "entities", "utf16"],
)
def test_unreadable_sidecar_is_refused_and_left_alone(original, content):
    sidecar = sidecar_path(original)
    sidecar.write_bytes(content)
    with pytest.raises(SidecarError, match=re.escape(str(sidecar))):
        write_sidecar(original, rating=1, label=None, pick=None, develop_settings=None)
    assert sidecar.read_bytes() == content
    assert sorted(p.name for p in original.parent.iterdir()) == ["IMG_0001.jpg", "IMG_0001.xmp"]
    _untouched(original)


def test_bad_crs_name_refused(original):
    with pytest.raises(SidecarError, match="crs setting name"):
        write_sidecar(original, rating=1, label=None, pick=None, develop_settings={"a b": 1})


def test_blank_node_descriptions_are_not_the_target(original):
    # f-spot's rdf:nodeID Descriptions describe blank nodes; properties go on rdf:about="".
    source = CORPUS / "exiftool+exiftool" / "t" / "images" / "XMP2.xmp"
    if not source.exists():
        pytest.skip("corpus XMP2.xmp not available")
    sidecar = sidecar_path(original)
    sidecar.write_bytes(source.read_bytes())
    write_sidecar(original, rating=2, label=None, pick=None, develop_settings=None)
    root = _parse(sidecar)
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    (about,) = [d for d in root.iter(f"{rdf}Description") if f"{rdf}about" in d.attrib]
    assert about.attrib[f"{{{NS_XMP}}}Rating"] == "2"


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_reads_rating_label_and_pick(original):
    sidecar = sidecar_path(original)
    sidecar.write_bytes(LIGHTROOM_LIKE)
    write_sidecar(original, rating=-1, label="Red", pick=None, develop_settings={"Exposure2012": 1})
    fresh = write_sidecar(
        original.with_name("IMG_0002.CR2"),
        rating=4,
        label="Green",
        pick=True,
        develop_settings=None,
    )
    run = subprocess.run(
        ["exiftool", "-j", "-xmp:all", str(sidecar), str(fresh)],
        capture_output=True,
        check=True,
        text=True,
    )
    merged, new = json.loads(run.stdout)
    assert (merged["Rating"], merged["Label"], merged["Pick"], merged["PickLabel"]) == (
        -1,
        "Red",
        -1,
        1,
    )
    assert merged["Exposure2012"] == "+1.00"  # two decimals, as Lightroom writes it
    assert merged["Subject"] == ["sunset", "Death Valley & friends"]  # foreign fields intact
    assert merged["HierarchicalSubject"] == "places|USA|California"
    assert (new["Rating"], new["Label"], new["Pick"], new["PickLabel"]) == (4, "Green", 1, 3)
