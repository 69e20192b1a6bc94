"""Test helpers: drive real photoq worker processes against a real Valkey server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from photoq.catalog.job_records import JobInfo, NewJob
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import FINAL_STATES
from photoq.queue.dispatch import submit
from photoq.queue.manager import JobQueueManager

if TYPE_CHECKING:
    from celery import Celery

    from photoq.catalog.store import Catalog
    from photoq.config import Settings
    from photoq.queue.embedded import EmbeddedBroker


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SAMPLE = "hdkai+Raw-IO/test/media/group"


def corpus_shoot(folder: Path, *photos: str) -> Path:
    """``folder`` made and filled with copies of corpus photos (paths relative to the corpus);
    the test is skipped when ``../shared/corpus`` is absent."""
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    folder.mkdir(parents=True)
    for photo in photos:
        shutil.copyfile(CORPUS / photo, folder / Path(photo).name)
    return folder


def probe(priority: int, queue: str = "medium", **payload: Any) -> NewJob:
    """A probe job at an exact priority on an exact queue (no tier folding)."""
    return NewJob(kind="probe", queue=queue, priority=priority, max_retries=3, payload=payload)


@dataclass
class QueueHarness:
    settings: Settings
    app: Celery
    catalog: Catalog
    env: dict[str, str]
    broker: EmbeddedBroker
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    beats: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def jobs(self) -> JobRepository:
        return JobRepository(self.catalog)

    @property
    def manager(self) -> JobQueueManager:
        return JobQueueManager(self.settings, self.catalog, self.app)

    def start_worker(self, concurrency: int = 1, queues: str = "high,medium,low") -> str:
        """Start ``photoq worker`` and wait until it answers a ping; returns its node name."""
        name = f"t{uuid.uuid4().hex[:8]}@localhost"
        log = open(self.settings.home / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "photoq",
                "worker",
                "--concurrency",
                str(concurrency),
                "--queues",
                queues,
                "--name",
                name,
                "--loglevel",
                "INFO",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}; see {log.name}")
            if self.app.control.ping(destination=[name], timeout=0.5):
                return name
        raise RuntimeError(f"worker {name} did not answer within 30 s")

    def start_beat(self) -> None:
        """Start ``photoq beat`` (its schedule comes from the settings in ``env``)."""
        log = open(self.settings.home / "beat.log", "ab")  # noqa: SIM115
        self.beats.append(
            subprocess.Popen(
                [sys.executable, "-m", "photoq", "beat", "--loglevel", "INFO"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def stop_workers(self, sig: int = signal.SIGQUIT) -> None:
        for proc in self.beats:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        self.beats.clear()
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, sig)
        for proc in self.workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.workers.clear()

    def submit(self, specs: list[NewJob]) -> list[int]:
        return submit(self.app, self.catalog, specs)

    def wait_final(self, job_ids: list[int], timeout: float = 60) -> list[JobInfo]:
        """Wait until every job is final; fail the test with the states if it takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = [self.jobs.get(i) for i in job_ids]
            if all(i is not None and i.status in FINAL_STATES for i in infos):
                return [i for i in infos if i is not None]
            time.sleep(0.1)
        states = {i: (j.status if j else None) for i, j in zip(job_ids, infos, strict=True)}
        raise AssertionError(f"jobs not final after {timeout} s: {states}")

    def wait_status(self, job_id: int, status: str, timeout: float = 30) -> JobInfo:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.jobs.get(job_id)
            if info is not None and info.status == status:
                return info
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} never reached {status}: {self.jobs.get(job_id)}")
