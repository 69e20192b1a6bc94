"""XMP sidecars next to the originals: rating, colour label, pick flag and develop settings.

The sidecar of ``IMG_0001.CR2`` is ``IMG_0001.xmp`` (the original's *stem* + ``.xmp``): the name
Lightroom, Camera Raw, Capture One and digiKam's "sidecar name without extension" setting read
and write. darktable's own ``IMG_0001.CR2.xmp`` is a different file, which photoq leaves alone.
Two originals that share a stem (``IMG_0001.CR2`` + ``IMG_0001.JPG``) share the sidecar, exactly
as in Lightroom.

What is written, and how each program reads it:

============================  ===================================================================
``xmp:Rating``                0–5 stars; −1 for a reject. Lightroom, Bridge, darktable (which
                              shows −1 as "rejected"), digiKam and Capture One read it.
``xmp:Label``                 colour label text; Lightroom expects ``Red``, ``Yellow``,
                              ``Green``, ``Blue`` or ``Purple`` (with its default label set).
                              ``label=None`` leaves an existing label as it is: a label is a
                              person's choice and photoq never clears one.
``xmpDM:pick``                1 picked, −1 rejected, 0 unflagged: the flag Lightroom Classic
                              (13.2+) and Photo Mechanic write, ExifTool's ``XMP-xmpDM:Pick``.
``digiKam:PickLabel``         digiKam's pick label: 0 none, 1 rejected, 2 pending, 3 accepted.
``crs:*``                     the applied preset (Camera Raw names, ``Exposure2012`` …) plus
                              ``crs:HasSettings="True"``, which Adobe writes beside any settings;
                              numbers formatted as Lightroom writes them by the one function the
                              XMP preset export uses too (``presets.crs.crs_text``: ``+0.50``,
                              ``+10``), and ``crs:ProcessVersion`` from ``crs_from_settings``.
============================  ===================================================================

A reject is ``rating=-1`` or ``pick=False``; either one writes all three reject markers, so no two
programs disagree about the same photo. No timestamp (``xmp:MetadataDate``) is written, which keeps
the write idempotent: the same call twice gives the same bytes.

An existing sidecar is merged byte-for-byte (:mod:`photoq.pipeline.export.xmp_merge`); one that
is not XMP, or not safe to parse, raises :class:`SidecarError` and is left untouched; so does
one that is not a regular file (a symlink, never followed, a FIFO or a device) or is larger
than :data:`MAX_SIDECAR_BYTES`. The original
photo is only ever read — for nothing, in fact: only its path is used.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from photoq.pipeline.export.atomic import atomic_write_bytes
from photoq.pipeline.export.errors import SidecarError
from photoq.pipeline.export.xmp_merge import Prop, merge
from photoq.pipeline.files import FileTooLarge, NotRegularFile, read_regular
from photoq.pipeline.presets.crs import crs_text

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_XMP_DM = "http://ns.adobe.com/xmp/1.0/DynamicMedia/"
NS_DIGIKAM = "http://www.digikam.org/ns/1.0/"
NS_CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"

#: The largest existing sidecar read and merged (real ones are a few KiB, 1 MiB with a long
#: develop history); a larger one is refused, not read.
MAX_SIDECAR_BYTES = 8 << 20
REJECT = -1
MAX_RATING = 5
PICK_VALUES = {True: 1, None: 0, False: -1}  # xmpDM:pick
PICK_LABEL_NONE, PICK_LABEL_REJECTED, PICK_LABEL_ACCEPTED = 0, 1, 3  # digiKam:PickLabel
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

# A new sidecar: what Adobe's XMP toolkit writes, minus the padding (sidecars are rewritten whole,
# so room for in-place edits is useless). Our properties are then merged in like any other edit,
# one attribute a line after ``rdf:about`` (the merge copies the indentation it finds).
_EMPTY_PACKET = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="photoq">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description
    rdf:about=""/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def sidecar_path(original: Path) -> Path:
    """``IMG_0001.CR2`` → ``IMG_0001.xmp`` in the same folder."""
    return original.with_name(f"{original.stem}.xmp")


def write_sidecar(
    original: Path,
    *,
    rating: int,
    label: str | None,
    pick: bool | None,
    develop_settings: Mapping[str, str | int | float] | None,
) -> Path:
    """Create or merge the sidecar of ``original``; return its path.

    ``rating`` −1 (reject) … 5; ``pick`` True (picked), False (rejected) or None (no flag);
    ``develop_settings`` maps ``crs`` names to values (strings are written verbatim, so a value
    read from a Lightroom preset keeps its exact text such as ``"+0.50"``; numbers are formatted
    by :func:`~photoq.pipeline.presets.crs.crs_text`).
    """
    props = sidecar_properties(rating=rating, label=label, pick=pick, settings=develop_settings)
    path = sidecar_path(original)
    if path.resolve() == original.resolve():
        # An original that is itself named *.xmp would otherwise be its own sidecar.
        msg = f"{original} is an .xmp file; photoq does not write sidecars for sidecars"
        raise SidecarError(msg)
    existing = read_existing_sidecar(path)
    new = existing is None
    packet = _EMPTY_PACKET if existing is None else existing
    try:
        merged = merge(packet, props)
    except SidecarError as exc:
        msg = f"{path}: {exc}"
        raise SidecarError(msg) from None
    if merged != packet or new:
        atomic_write_bytes(path, merged, overwrite=True)
    return path


def read_existing_sidecar(path: Path) -> bytes | None:
    """The bytes of the sidecar at ``path``, or None when there is none.

    Only a regular file is read, and at most :data:`MAX_SIDECAR_BYTES`: a symlink (never
    followed, so never replaced by a copy of its target), a FIFO, a device or a larger file
    raises :class:`SidecarError` saying which, and is left as it is.
    """
    try:
        return read_regular(path, MAX_SIDECAR_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except (NotRegularFile, FileTooLarge) as exc:
        raise SidecarError(str(exc)) from None


def sidecar_properties(
    *,
    rating: int,
    label: str | None,
    pick: bool | None,
    settings: Mapping[str, str | int | float] | None,
) -> list[Prop]:
    """The XMP properties :func:`write_sidecar` sets, in the order it writes new ones."""
    if not REJECT <= rating <= MAX_RATING:
        msg = f"rating must be -1 (reject) to {MAX_RATING}, got {rating}"
        raise SidecarError(msg)
    if pick is True and rating == REJECT:
        msg = "a photo cannot be both picked (pick=True) and rejected (rating=-1)"
        raise SidecarError(msg)
    rejected = rating == REJECT or pick is False
    if rejected:
        pick_label = PICK_LABEL_REJECTED
    else:
        pick_label = PICK_LABEL_ACCEPTED if pick else PICK_LABEL_NONE
    props = [
        Prop(NS_XMP, "xmp", "Rating", str(REJECT if rejected else rating)),
        Prop(NS_XMP_DM, "xmpDM", "pick", str(PICK_VALUES[False if rejected else pick])),
        Prop(NS_DIGIKAM, "digiKam", "PickLabel", str(pick_label)),
    ]
    if label is not None:
        props.insert(1, Prop(NS_XMP, "xmp", "Label", label))
    if settings:
        for name, value in {**settings, "HasSettings": settings.get("HasSettings", "True")}.items():
            if not _NCNAME.match(name):
                msg = f"{name!r} is not a valid crs setting name"
                raise SidecarError(msg)
            props.append(Prop(NS_CRS, "crs", name, crs_text(name, value)))
    return props
