"""Settings from the environment: broker URL resolution, defaults and one-line config errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from photoq.config import get_settings, load_settings
from photoq.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _photoq_variables(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    return [k for k in environ if k.upper().startswith(("PHOTOQ_", "REDIS_"))]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean environment: no PHOTOQ_* / REDIS_* variables, HOME in a temporary folder."""
    for name in _photoq_variables(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_no_broker_configured_means_embedded(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.resolved_broker_url is None
    assert settings.embedded is True


def test_redis_variables_build_the_broker_url_with_an_escaped_password(
    env: pytest.MonkeyPatch,
) -> None:
    password = "p@ss/w:rd%1"
    env.setenv("REDIS_HOST", "cache.example")
    env.setenv("REDIS_PORT", "6380")
    env.setenv("REDIS_DB", "4")
    env.setenv("REDIS_PASSWORD", password)
    settings = load_settings()
    url = settings.resolved_broker_url
    assert url == "redis://:p%40ss%2Fw%3Ard%251@cache.example:6380/4"
    assert settings.embedded is False
    parts = urlsplit(url)
    assert parts.hostname == "cache.example"
    assert parts.port == 6380
    assert unquote(parts.password or "") == password


def test_redis_host_alone_uses_defaults_and_no_auth(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_HOST", "cache.example")
    assert load_settings().resolved_broker_url == "redis://cache.example:6379/0"


def test_redis_ssl_gives_rediss(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_HOST", "cache.example")
    env.setenv("REDIS_PASSWORD", "pw")
    env.setenv("REDIS_SSL", "true")
    assert load_settings().resolved_broker_url == "rediss://:pw@cache.example:6379/0"
    env.setenv("REDIS_SSL", "false")
    assert load_settings().resolved_broker_url == "redis://:pw@cache.example:6379/0"


def test_photoq_broker_url_wins_over_redis_variables(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_HOST", "cache.example")
    env.setenv("REDIS_PASSWORD", "pw")
    env.setenv("REDIS_SSL", "true")
    env.setenv("PHOTOQ_BROKER_URL", "redis://broker.example:7000/2")
    settings = load_settings()
    assert settings.resolved_broker_url == "redis://broker.example:7000/2"
    assert settings.embedded is False


def test_photoq_home_expands_tilde(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("PHOTOQ_HOME", "~/shots")
    settings = load_settings()
    assert settings.home == tmp_path / "shots"
    assert "~" not in str(settings.home)


def test_default_home_is_under_the_user_home(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_settings().home == tmp_path / ".photoq"


def test_default_database_is_sqlite_under_home(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("PHOTOQ_HOME", str(tmp_path / "h"))
    settings = load_settings()
    assert settings.database_url is None
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'h' / 'catalog.db'}"
    env.setenv("PHOTOQ_DATABASE_URL", "postgresql://db.example/photoq")
    assert load_settings().resolved_database_url == "postgresql://db.example/photoq"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PHOTOQ_CONCURRENCY", "abc"),
        ("PHOTOQ_CONCURRENCY", "0"),
        ("REDIS_PORT", "99999"),
        ("PHOTOQ_BROKER_URL", "amqp://x"),
        ("PHOTOQ_RETRY_MAX_DELAY", "9999"),
    ],
)
def test_bad_value_is_a_one_line_error_naming_the_variable(
    env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    env.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{variable}:"), message
    assert value in message


def test_cli_reports_a_config_error_as_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    environ = {k: v for k, v in os.environ.items() if k not in _photoq_variables(os.environ)}
    environ |= {
        "HOME": str(tmp_path),
        "PHOTOQ_HOME": str(tmp_path / "home"),
        "PHOTOQ_CONCURRENCY": "abc",
        # A narrow terminal must not wrap the message onto a second line.
        "COLUMNS": "40",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "photoq", "ingest", str(folder)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "PHOTOQ_CONCURRENCY" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "home" / "catalog.db").exists()
