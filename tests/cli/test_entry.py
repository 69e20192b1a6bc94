"""The ``photoq`` command as a user meets it: its version, ``-h``, and a working directory that
holds a folder named ``photoq``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import photoq
from tests.conftest import CORPUS

PHOTOQ = Path(sys.executable).with_name("photoq")  # the installed console script


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    return env


def _photoq(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PHOTOQ), *args],
        env=_env(home),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_version(short_tmp: Path) -> None:
    done = _photoq(short_tmp, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"photoq {photoq.__version__}"


@pytest.mark.parametrize("args", [["-h"], ["run", "-h"], ["jobs", "list", "-h"]])
def test_short_help_is_help(short_tmp: Path, args: list[str]) -> None:
    short = _photoq(short_tmp, *args)
    long = _photoq(short_tmp, *args[:-1], "--help")
    assert short.returncode == 0, short.stderr
    assert short.stdout == long.stdout
    assert "Usage:" in short.stdout


@pytest.mark.integration
def test_workers_ignore_a_photoq_folder_in_the_working_directory(short_tmp: Path) -> None:
    """Started from a folder that holds ``photoq/`` (a checkout's parent, or a hostile shoot),
    the workers still run the installed photoq and none of that folder's code."""
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    hostile = short_tmp / "cwd"
    marker = short_tmp / "hostile-code-ran"
    (hostile / "photoq").mkdir(parents=True)
    (hostile / "photoq" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise SystemExit('not the installed photoq')\n"
    )
    (hostile / "photoq" / "__main__.py").write_text("import photoq\n")
    shoot = short_tmp / "shoot"
    shoot.mkdir()
    shutil.copyfile(CORPUS / "hdkai+Raw-IO/test/media/group/1.jpg", shoot / "1.jpg")
    done = _photoq(short_tmp / "home", "run", str(shoot), "--json", "--no-sidecars", cwd=hostile)
    assert not marker.exists(), "a worker imported photoq from the working directory"
    summary = json.loads(done.stdout)
    assert summary["succeeded"] == 1, done.stdout + done.stderr
    assert done.returncode == 0, done.stderr


def test_the_command_tree_is_assembled_in_one_module() -> None:
    """Command modules never import :mod:`photoq.cli.app` back (no import circle)."""
    import ast

    cli = Path(photoq.__file__).parent / "cli"
    for module in sorted(cli.glob("*.py")):
        if module.name == "app.py":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
                assert "photoq.cli.app" not in names, f"{module.name} imports photoq.cli.app"
