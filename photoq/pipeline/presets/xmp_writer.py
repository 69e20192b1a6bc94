"""Writing a preset as a Lightroom / Camera Raw ``.xmp`` preset.

The layout mirrors a preset Lightroom Classic exports (the corpus'
``lightroom_xmp_exported/canon_toning__canada_chief_01.xmp``): one ``rdf:Description`` with the
preset's identity as attributes — ``PresetType="Normal"``, ``Cluster=""``, a ``UUID`` (32
upper-case hex digits, a uuid5 of the preset's name and version, so the same preset always gets
the same one), the ``Supports*`` flags, ``Version``, ``ProcessVersion`` — then the settings from
:func:`~photoq.pipeline.presets.crs.crs_from_settings` (values by
:func:`~photoq.pipeline.presets.crs.crs_text`, the formatter sidecars use too) and
``HasSettings="True"``; ``Name`` and ``Group`` as ``rdf:Alt`` with an ``x-default`` item, tone
curves as ``rdf:Seq`` of ``"x, y"`` items.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from photoq.pipeline.presets.crs import crs_from_settings

if TYPE_CHECKING:
    from photoq.pipeline.presets.model import Preset

CAMERA_RAW_VERSION = "14.4"  # crs:Version: the Camera Raw the layout was taken from
_UUID_NAMESPACE = uuid.UUID("6f1b7c3e-2d4a-5b8e-9c0f-70686f746f71")  # photoq's own namespace


def preset_uuid(preset: Preset) -> str:
    """32 upper-case hex digits, the same for the same preset name and version."""
    return uuid.uuid5(_UUID_NAMESPACE, f"{preset.name}\0{preset.version}").hex.upper()


def dump_xmp_preset(preset: Preset) -> bytes:
    """``preset`` as an XMP preset file Lightroom and Camera Raw import."""
    s = preset.settings
    # Lightroom's Amount slider: photoq's blend scales everything but absolute temperature/tint.
    blendable = {k for k in s.changed() if k not in ("temperature", "tint")}
    # A grayscale conversion, or a colour-only change on its own, has no place on a colour photo
    # respectively a monochrome one.
    colour_only = {"vibrance", "saturation", "hsl_hue", "hsl_saturation", "hsl_luminance"}
    flags = {
        "SupportsAmount2": bool(blendable),
        "SupportsAmount": bool(blendable),
        "SupportsColor": True,
        "SupportsMonochrome": s.convert_to_grayscale or not (blendable & colour_only),
    }
    head: dict[str, str] = {
        "PresetType": "Normal",
        "Cluster": "",
        "UUID": preset_uuid(preset),
        **{k: "True" if v else "False" for k, v in flags.items()},
        "CameraModelRestriction": "",
        "Copyright": "",
        "ContactInfo": "",
        "Version": CAMERA_RAW_VERSION,
    }
    crs = crs_from_settings(s)
    attrs = {**head, **{k: v for k, v in crs.items() if isinstance(v, str)}}
    attrs["HasSettings"] = "True"
    lines = [
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="photoq">',
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '  <rdf:Description rdf:about=""',
        '    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"',
    ]
    lines += [f"   crs:{k}={quoteattr(v)}" for k, v in attrs.items()]
    lines[-1] += ">"
    for key, text in (("Name", preset.name), ("Group", preset.group)):
        if key == "Name" or text:
            lines += [
                f"   <crs:{key}>",
                "    <rdf:Alt>",
                f'     <rdf:li xml:lang="x-default">{escape(text)}</rdf:li>',
                "    </rdf:Alt>",
                f"   </crs:{key}>",
            ]
    for key, points in crs.items():
        if isinstance(points, list):
            lines += [f"   <crs:{key}>", "    <rdf:Seq>"]
            lines += [f"     <rdf:li>{p}</rdf:li>" for p in points]
            lines += ["    </rdf:Seq>", f"   </crs:{key}>"]
    lines += ["  </rdf:Description>", " </rdf:RDF>", "</x:xmpmeta>", ""]
    return "\n".join(lines).encode()
