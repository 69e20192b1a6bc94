"""``photoq inspect``: what ``photoq run`` would store for each file, without a queue."""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from photoq.cli.display import shown
from photoq.cli.output import JsonOption, emit_json, err, out
from photoq.errors import PhotoqError

if TYPE_CHECKING:
    from photoq.pipeline.analysis import PhotoAnalysis
    from photoq.pipeline.culling import ContextResult


def _exposure(exif: dict[str, Any]) -> str:
    parts = []
    if exif.get("exposure_time"):
        t = float(exif["exposure_time"])
        parts.append(f"1/{round(1 / t)} s" if 0 < t < 1 else f"{t:g} s")
    if exif.get("f_number"):
        parts.append(f"f/{exif['f_number']:g}")
    if exif.get("iso"):
        parts.append(f"ISO {exif['iso']}")
    if exif.get("focal_length"):
        parts.append(f"{exif['focal_length']:g} mm")
    return ", ".join(parts) or "-"


def _print_human(given: str, analysis: PhotoAnalysis, context: ContextResult) -> None:
    data = analysis.to_dict()
    exif, quality = data["exif"], data["quality"]
    camera = " ".join(v for v in (exif.get("make"), exif.get("model")) if v) or "-"
    out.print(f"[bold]{shown(given)}[/bold]")
    out.print(
        f"  format     {analysis.format}, {analysis.width}×{analysis.height} "
        f"(decoded by {analysis.decoded_by})"
    )
    # EXIF text is the file's own, as untrusted as its name.
    out.print(f"  camera     {shown(camera)}; lens {shown(exif.get('lens') or '-')}")
    out.print(f"  captured   {shown(exif.get('captured_at') or '-')}")
    out.print(f"  exposure   {_exposure(exif)}")
    if exif.get("gps_lat") is not None:
        out.print(f"  gps        {exif['gps_lat']:.6f}, {exif['gps_lon']:.6f}")
    reasons = ", ".join(quality["reasons"]) or "no faults found"
    out.print(f"  score      {quality['score']:.2f} / 5  ({reasons})")
    subs = ", ".join(f"{k} {v:.2f}" for k, v in quality["subscores"].items())
    out.print(f"  subscores  {subs}")
    faces = quality["faces"]
    eyes = ", ".join(f"{f['w']}px eyes {f['eyes']}" for f in faces) or "none found"
    out.print(f"  faces      {eyes}  ({escape(quality['face_detector'])})")
    runners_up = sorted(context.scores.items(), key=lambda kv: -kv[1])[:3]
    scores = ", ".join(f"{name} {score:.2f}" for name, score in runners_up)
    out.print(
        f"  context    {context.context} → preset {context.preset} at {context.blend:g} % "
        f"(scores: {scores})"
    )
    out.print(f"  hashes     dhash {analysis.hashes.dhash}  phash {analysis.hashes.phash}")
    out.print(f"  sha256     {analysis.content_hash}")


RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="Context rules file (default: PHOTOQ_CONTEXT_RULES, else the "
        "rules shipped with photoq).",
    ),
]


def inspect(
    files: Annotated[list[Path], typer.Argument(help="Photo files to analyse.")],
    as_json: JsonOption = False,
    rules: RulesOption = None,
) -> None:
    """Analyse files directly and print what photoq stores: format, size, EXIF, quality score
    with its sub-scores and reasons, faces and eyes, hashes, and the shooting context with the
    preset it recommends. Exit code 1 if any file failed."""
    from photoq.config import get_settings
    from photoq.pipeline.analysis import analyse_photo
    from photoq.pipeline.culling import classify, context_facts, load_rules

    context_rules = load_rules(rules or get_settings().context_rules)

    failed = 0
    for given in files:
        try:
            if not given.is_file():
                msg = "no such file" if not given.exists() else "not a file"
                raise FileNotFoundError(msg)
            analysis = analyse_photo(given)
            context = classify(context_facts(analysis), context_rules)
        except Exception as exc:  # any file that fails is reported, and the rest go on
            failed += 1
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            reason = reason or type(exc).__name__
            if as_json:
                emit_json({"path": str(given), "error": reason, "error_type": type(exc).__name__})
            elif isinstance(exc, PhotoqError | OSError):
                err.print(f"{shown(given)}: error: {shown(reason)}")
            else:  # a bug in photoq, not a fault of the file's: say so, and how to see more
                if os.environ.get("PHOTOQ_DEBUG"):
                    traceback.print_exception(exc)
                err.print(
                    f"{shown(given)}: error: {type(exc).__name__}: {shown(reason)} "
                    "(an internal error; PHOTOQ_DEBUG=1 shows the traceback)"
                )
            continue
        if as_json:
            emit_json({"path": str(given), **analysis.to_dict(), "context": context.to_dict()})
        else:
            _print_human(str(given), analysis, context)
    if failed:
        raise typer.Exit(1)
