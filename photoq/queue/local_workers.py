"""Worker processes that ``photoq run`` starts for itself on the embedded default."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from photoq.private_files import open_private, private_dir
from photoq.queue.routing import DEFAULT_WORKER_QUEUES

if TYPE_CHECKING:
    from pathlib import Path

PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 60.0


def _die_with_parent() -> None:
    # A `photoq run` killed with SIGKILL must not leave workers behind: the kernel sends them
    # SIGTERM (a warm shutdown that hands unfinished messages back) when their parent dies.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class LocalWorkers:
    """``count`` ``photoq worker`` processes, each with ``concurrency`` pool processes."""

    def __init__(self, count: int, concurrency: int, log_dir: Path) -> None:
        self.count = count
        self.concurrency = concurrency
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, env: dict[str, str] | None = None) -> None:
        private_dir(self.log_dir, what="log folder")
        for index in range(self.count):
            log_path = self.log_dir / f"worker-{os.getpid()}-{index}.log"
            with open_private(log_path) as log_file:
                self.processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            # -P: the caller's working directory stays off sys.path, so a
                            # folder named photoq there is never imported in its place.
                            "-P",
                            "-m",
                            "photoq",
                            "worker",
                            "--queues",
                            ",".join(DEFAULT_WORKER_QUEUES),
                            "--concurrency",
                            str(self.concurrency),
                            "--name",
                            f"photoq-run-{os.getpid()}-{index}@%h",
                        ],
                        stdin=subprocess.DEVNULL,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                        env=env,
                        start_new_session=True,
                        preexec_fn=_die_with_parent,
                    )
                )

    def alive(self) -> bool:
        return any(p.poll() is None for p in self.processes)

    def stop(self) -> None:
        """Warm shutdown (running tasks finish), then SIGKILL whatever is left of each group."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.processes.clear()
