"""``photoq presets``: list, show, import and export develop presets."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from photoq.catalog.presets import PresetRepository
from photoq.cli.display import shown
from photoq.cli.output import JsonOption, emit_json, err, out
from photoq.config import get_settings
from photoq.errors import UsageError

presets_app = typer.Typer(
    help="Develop presets: built-ins, imported Lightroom/Camera Raw XMP, and photoq's own YAML.",
    no_args_is_help=True,
)


def _repo() -> PresetRepository:
    from photoq.services.runtime import open_catalog

    return PresetRepository(open_catalog(get_settings()))


@presets_app.command("list")
def list_presets(as_json: JsonOption = False) -> None:
    """List presets: newest version, source, how often used, unsupported settings."""
    infos = _repo().summaries()
    if as_json:
        emit_json([asdict(i) for i in infos])
        return
    for i in infos:
        note = f", {len(i.unsupported)} unsupported settings" if i.unsupported else ""
        name, source = shown(i.name), shown(i.source)
        out.print(f"{name:<28} v{i.version:<3} {source:<10} used {i.usage_count}{note}")


@presets_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Preset name.")], as_json: JsonOption = False
) -> None:
    """Show a preset's settings and the settings photoq does not render."""
    info = _repo().info(name)
    if as_json:
        emit_json(asdict(info))
        return
    out.print(
        f"[bold]{shown(info.name)}[/bold] v{info.version} ({shown(info.source)}), versions "
        f"{', '.join(map(str, info.versions))}, used {info.usage_count}"
    )
    for key, value in info.settings.items():
        out.print(f"  {shown(key)}: {shown(value)}")
    for key, value in info.unsupported.items():
        out.print(f"  [yellow]not rendered[/yellow] {shown(key)}: {shown(value)}")


@presets_app.command("import")
def import_presets(
    files: Annotated[list[Path], typer.Argument(help="Lightroom XMP presets or photoq YAML.")],
    as_json: JsonOption = False,
) -> None:
    """Import preset files; a changed preset under a known name becomes its next version and
    the old versions are kept. Settings photoq does not render are listed, never dropped."""
    from photoq.pipeline.presets import read_preset

    for path in files:
        if not path.is_file():
            msg = f"{path}: no such file"
            raise UsageError(msg)
    repo = _repo()
    results = [repo.import_preset(read_preset(path)) for path in files]
    if as_json:
        emit_json([asdict(r) for r in results])
        return
    for path, r in zip(files, results, strict=True):
        state = "imported as" if r.created else "unchanged,"
        err.print(f"{shown(path)}: {state} {shown(r.name)} v{r.version}")
        if r.unsupported:
            listed = ", ".join(f"{k}={v}" for k, v in r.unsupported.items())
            err.print(f"  not rendered by photoq: {shown(listed)}")


@presets_app.command("export")
def export_preset(
    name: Annotated[str, typer.Argument(help="Preset name.")],
    file: Annotated[
        Path, typer.Argument(help="Where to write it: .xmp (Lightroom) or .yaml/.yml (photoq).")
    ],
    version: Annotated[int | None, typer.Option(help="Version (default: newest).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write a preset as a Lightroom/Camera Raw XMP preset (.xmp) or photoq YAML (.yaml/.yml)."""
    from photoq.pipeline.export import atomic_write_bytes
    from photoq.pipeline.presets import dump_preset, dump_xmp_preset

    suffix = file.suffix.lower()
    if suffix not in (".xmp", ".yaml", ".yml"):
        msg = f"{file}: unknown preset format {suffix or '(no extension)'}; use .xmp, .yaml or .yml"
        raise UsageError(msg)
    preset, _ = _repo().get(name, version)
    data = dump_xmp_preset(preset) if suffix == ".xmp" else dump_preset(preset).encode()
    atomic_write_bytes(file, data, overwrite=overwrite)
    err.print(f"wrote {shown(name)} to {shown(file)}")
