"""Settings: the one place photoq reads its environment.

Every variable is ``PHOTOQ_<NAME>``, except the seed's ``REDIS_HOST``, ``REDIS_PORT``,
``REDIS_DB``, ``REDIS_PASSWORD`` and ``REDIS_SSL``, which build the broker URL when
``PHOTOQ_BROKER_URL`` is unset.
With neither, photoq runs on its embedded Valkey server (``broker_url`` stays ``None``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from photoq.errors import ConfigError, redact

DEFAULT_HOME = Path("~/.photoq")
DEFAULT_CONCURRENCY = 3
#: Celery soft limit raises SoftTimeLimitExceeded inside the task; the hard limit kills the process.
DEFAULT_SOFT_TIME_LIMIT = 300
DEFAULT_HARD_TIME_LIMIT = 600
DEFAULT_MAX_RETRIES = 3
#: First retry waits 2–4 s, then 4–8 s, 8–16 s … never more than the cap.
DEFAULT_RETRY_BASE_DELAY = 2.0
DEFAULT_RETRY_MAX_DELAY = 600.0


class Settings(BaseSettings):
    """photoq's settings; see the README for the full table."""

    model_config = SettingsConfigDict(env_prefix="PHOTOQ_", extra="ignore")

    home: Path = DEFAULT_HOME
    broker_url: str | None = None
    result_backend: str | None = None
    database_url: str | None = None
    notify_url: str | None = None

    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1, le=256)
    soft_time_limit: int = Field(DEFAULT_SOFT_TIME_LIMIT, ge=1)
    hard_time_limit: int = Field(DEFAULT_HARD_TIME_LIMIT, ge=1)
    max_retries: int = Field(DEFAULT_MAX_RETRIES, ge=0, le=20)
    retry_base_delay: float = Field(DEFAULT_RETRY_BASE_DELAY, gt=0)
    retry_max_delay: float = Field(DEFAULT_RETRY_MAX_DELAY, gt=0, le=600)

    #: Rules file that maps EXIF and analysis to a shooting context (default: the shipped one).
    context_rules: Path | None = None
    #: Culling: the longest gap inside a burst, and the score a photo outside any group needs.
    burst_window: float = Field(2.0, gt=0, le=3600)
    pick_threshold: float = Field(3.0, ge=1.0, le=5.0)

    #: Priority aging: a job queued longer than this many seconds moves up one tier.
    aging_after: float = Field(600.0, gt=0)
    #: Beat's periods, in seconds, of aging, of the metrics sample and of the cleanup.
    aging_interval: float = Field(60.0, gt=0)
    metrics_interval: float = Field(60.0, gt=0)
    cleanup_interval: float = Field(3600.0, gt=0)
    #: Finished jobs (with their attempts) and metric samples are kept this many days.
    result_retention_days: float = Field(7.0, gt=0)
    metrics_retention_days: float = Field(7.0, gt=0)

    #: Globs of files and folders ingest leaves out, comma-separated (see ``ignore_globs``).
    ignore: str = ""

    #: Worker processes keep freed memory for their next task (see photoq.memory).
    reuse_memory: bool = True

    #: A job without a live owner (its message gone from the broker, or its worker's heartbeat
    #: stopped) is re-published from the catalog within this many seconds (see
    #: photoq.queue.reconcile); heartbeat and reconciliation periods derive from it.
    recovery_within: float = Field(30.0, ge=1.0, le=3600.0)
    #: How long a task keeps retrying an unavailable catalog before it hands its message back.
    catalog_retry_for: float = Field(60.0, ge=0.0, le=3600.0)
    #: How long ``photoq run`` waits on a broker or catalog that does not answer before exit 3.
    give_up_after: float = Field(120.0, ge=1.0, le=86400.0)
    #: The whole budget of one dead-job webhook call, connect to last byte.
    notify_deadline: float = Field(10.0, gt=0.0, le=300.0)

    redis_host: str | None = Field(None, validation_alias=AliasChoices("REDIS_HOST"))
    redis_port: int = Field(6379, ge=1, le=65535, validation_alias=AliasChoices("REDIS_PORT"))
    redis_db: int = Field(0, ge=0, le=1023, validation_alias=AliasChoices("REDIS_DB"))
    redis_password: str | None = Field(None, validation_alias=AliasChoices("REDIS_PASSWORD"))
    redis_ssl: bool = Field(False, validation_alias=AliasChoices("REDIS_SSL"))

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("broker_url")
    @classmethod
    def _check_broker_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "redis+socket://")):
            msg = "must start with redis://, rediss:// or redis+socket://"
            raise ValueError(msg)
        return value

    @property
    def embedded(self) -> bool:
        """True when no broker is configured and photoq runs its own Valkey server."""
        return self.resolved_broker_url is None

    @property
    def resolved_broker_url(self) -> str | None:
        """The configured broker URL, built from REDIS_* when PHOTOQ_BROKER_URL is unset."""
        if self.broker_url:
            return self.broker_url
        if self.redis_host:
            return redis_url(
                self.redis_host, self.redis_port, self.redis_db, self.redis_password, self.redis_ssl
            )
        return None

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between two heartbeats of a worker."""
        return self.recovery_within / 6

    @property
    def worker_dead_after(self) -> float:
        """A worker whose last heartbeat is older than this is gone; three beats missed."""
        return self.recovery_within / 2

    @property
    def reconcile_interval(self) -> float:
        """Seconds between two reconciliations: dead after + one period stays within bound."""
        return self.recovery_within / 3

    @property
    def ignore_globs(self) -> tuple[str, ...]:
        """PHOTOQ_IGNORE as a list: names, or paths relative to the shoot with ``/``."""
        return tuple(g.strip() for g in self.ignore.split(",") if g.strip())

    @property
    def resolved_database_url(self) -> str:
        """The catalog URL: PHOTOQ_DATABASE_URL, else SQLite under PHOTOQ_HOME."""
        return self.database_url or f"sqlite:///{self.home / 'catalog.db'}"


def redis_url(host: str, port: int, db: int, password: str | None, ssl: bool) -> str:
    """Build a redis:// (or rediss:// for TLS) URL; the password is URL-escaped."""
    scheme = "rediss" if ssl else "redis"
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"{scheme}://{auth}{host}:{port}/{db}"


def _variable_name(loc: tuple[int | str, ...]) -> str:
    # pydantic reports a field read through an alias (REDIS_PORT) under the alias itself.
    name = str(loc[0]) if loc else "?"
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices) and (name == field or name in alias.choices):
            return str(alias.choices[0])
    return f"PHOTOQ_{name.upper()}"


def load_settings() -> Settings:
    """Read the environment; a bad value becomes a one-line ConfigError naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _variable_name(first["loc"])
        msg = redact(f"{name}: {first['msg']} (got {first.get('input')!r})")
        raise ConfigError(msg) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
