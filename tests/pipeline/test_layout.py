"""The pipeline's layout: pure (no Celery, SQLAlchemy, FastAPI), and each stage package imports
only the stages before it, so no two packages import each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[2] / "photoq" / "pipeline"
# The photo's way through the pipeline; the shared modules come first.
ORDER = [
    "safe_yaml",
    "files",
    "formats",
    "bands",
    "metadata",
    "decode",
    "quality",
    "hashes",
    "analysis",
    "culling",
    "presets",
    "develop",
    "export",
]
FORBIDDEN = (
    "celery",
    "kombu",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "photoq.queue",
    "photoq.catalog",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _stage(path: Path) -> str:
    parts = path.relative_to(PIPELINE).parts
    return parts[0] if len(parts) > 1 else path.stem


MODULES = sorted(p for p in PIPELINE.rglob("*.py") if p != PIPELINE / "__init__.py")


def test_every_module_belongs_to_a_known_stage() -> None:
    assert {_stage(p) for p in MODULES} == set(ORDER)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PIPELINE)))
def test_imports_point_back_along_the_stages(path: Path) -> None:
    stage = _stage(path)
    for name in _imports(path):
        assert not name.startswith(FORBIDDEN), f"{name} imported by the pure pipeline"
        if not name.startswith("photoq.pipeline."):
            continue
        other = name.split(".")[2]
        if other in ORDER and other != stage:
            assert ORDER.index(other) < ORDER.index(stage), f"{stage} imports {name}"
