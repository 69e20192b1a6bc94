"""The embedded Valkey server: shared by concurrent photoq processes, stopped by the last one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from photoq.errors import ConfigError
from photoq.queue.embedded import EmbeddedBroker

pytestmark = pytest.mark.integration

HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from photoq.queue.embedded import EmbeddedBroker
    broker = EmbeddedBroker(Path(sys.argv[1]))
    broker.acquire()
    print(broker.pid(), flush=True)
    sys.stdin.readline()
    broker.release()
    """
)


def _holder(home: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def test_second_process_reuses_server_and_last_one_stops_it(short_tmp: Path) -> None:
    home = short_tmp / "h"
    first, pid1 = _holder(home)
    second, pid2 = _holder(home)
    assert pid1 == pid2  # one server, shared
    first.communicate("\n", timeout=30)
    assert EmbeddedBroker(home).is_running()  # the second user still holds it
    second.communicate("\n", timeout=30)
    assert not EmbeddedBroker(home).is_running()


def test_killed_user_does_not_pin_the_server(short_tmp: Path) -> None:
    home = short_tmp / "h"
    crashed, _ = _holder(home)
    crashed.kill()
    crashed.wait()
    broker = EmbeddedBroker(home)
    broker.acquire()  # reuses the server the crashed process left running
    broker.release()  # and, as the last user, stops it
    assert not broker.is_running()


def test_queued_messages_survive_a_server_restart(short_tmp: Path) -> None:
    broker = EmbeddedBroker(short_tmp / "h")
    broker.start()
    broker._client().rpush("medium", b"message")
    broker.stop()
    broker.start()
    assert broker._client().lrange("medium", 0, -1) == [b"message"]
    broker.stop()


def test_too_long_home_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PHOTOQ_HOME"):
        EmbeddedBroker(tmp_path / ("x" * 120)).start()
