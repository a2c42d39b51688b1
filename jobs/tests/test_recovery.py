"""Recovery in seconds (issue #14, must-show 3): a fault in the middle of a
job on PostgreSQL + Redis, and the job still completes with the same
sentences as an uninterrupted run, charged once, and no more than 20 s later.

Everything runs against servers of the module's own: a PostgreSQL and a
Redis on free ports (restarted or stopped here; the shared ones are never
touched), `manage.py serve` and one `qcluster` with two workers, on the
service's default lease (10 s, renewed by a heartbeat) and sweep (every 5 s).
The book is a 40-page story in 2-page chunks: a few seconds of work.
`RECOVERY_BOOK=../shared/data/albert-savarus-115p.pdf` runs the same faults on a
real book in the service's own chunks (docs/benchmarks.md; minutes, not for CI).
bin/test runs this module in its first pass only (it brings its own servers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import the_cores
from jobs.tests.live import ROOT, ApiClient, AsgiServer, Cluster, PostgresServer, RedisServer, wait_for
from jobs.tests.pdfmaker import write_story_pdf

BOOK = os.environ.get("RECOVERY_BOOK")
pytestmark = [pytest.mark.first_pass, pytest.mark.timed, pytest.mark.e2e, pytest.mark.timeout(1800 if BOOK else 240)]

SLOWER_BY_AT_MOST = 20.0  # seconds, against the uninterrupted run


@dataclass
class Stack:
    pg: PostgresServer
    redis: RedisServer
    env: dict[str, str]
    book: Path
    pages: int
    cluster: Cluster
    server: AsgiServer
    logs: Path

    def client(self) -> ApiClient:
        return ApiClient(self.server.url, "reader", "reader-password")

    def charges(self, job_id: int) -> int:
        return int(
            self.pg.psql(
                "novelproc", f"SELECT count(*) FROM credits_creditledger WHERE job_id = {job_id} AND kind = 'charge'"
            )
        )


@dataclass
class Run:
    seconds: float
    sentences: list[str]
    actual_credits: int


def run_job(stack: Stack, fault=None) -> tuple[int, Run]:
    """One job from start to completion, `fault(stack, job_id)` applied once a third of it is done."""
    client = stack.client()
    started = time.monotonic()
    job_id = client.confirm_and_start(stack.book, stack.pages)
    if fault is not None:

        def a_third_done() -> bool:
            job = client.job(job_id)
            return job["total_chunks"] > 0 and job["processed_chunks"] * 3 >= job["total_chunks"]

        wait_for(a_third_done, timeout=600, interval=0.1, what="a third of the job")
        client = fault(stack, job_id) or client

    def finished():
        try:
            job = client.job(job_id)
        except Exception:  # the web or the database may still be coming back
            return None
        return job if job["status"] in {"completed", "failed", "cancelled"} else None

    job = wait_for(finished, timeout=900, interval=0.2, what=f"job {job_id} to finish")
    seconds = time.monotonic() - started
    assert job["status"] == "completed" and job["failed_chunks"] == [], job
    result = client.http.get(f"/jobs/{job_id}/result").json()
    return job_id, Run(seconds=seconds, sentences=result["sentences"], actual_credits=job["actual_credits"])


@pytest.fixture(scope="module")
def cores_alone():
    """No other test's processes run while these measure (conftest.the_cores)."""
    with the_cores(alone=True):
        yield


@pytest.fixture(scope="module")
def stack(tmp_path_factory, cores_alone):
    logs = tmp_path_factory.mktemp("recovery")
    pg, redis = PostgresServer(), RedisServer(log_path=logs / "redis.log")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "NOVELPROC_SERVING"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="novelproc.settings",
        SECRET_KEY="recovery-tests",
        NOVELPROC_DATA_DIR=str(logs / "data"),
        DATABASE_URL=pg.url,
        REDIS_URL=redis.url,
        Q_CLUSTER_NAME="recovery",
        Q_WORKERS="2",
        RATELIMIT_ENABLE="0",
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*manage, "setup_demo", "--username", "reader", "--password", "reader-password"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if BOOK:
        from pypdf import PdfReader

        book, pages = Path(BOOK), len(PdfReader(BOOK).pages)
    else:
        env["CHUNK_SIZE_OVERRIDE"] = "2"
        book, pages = write_story_pdf(logs / "story.pdf", 40), 40
    cluster = Cluster(env=env, log_path=logs / "qcluster.log")
    server = AsgiServer(env=env, log_path=logs / "web.log")
    stack = Stack(pg, redis, env, book, pages, cluster, server, logs)
    try:
        yield stack
    finally:
        stack.server.stop()
        stack.cluster.stop()
        stack.redis.stop()
        pg.stop()


@pytest.fixture(scope="module")
def uninterrupted(stack) -> Run:
    run_job(stack)  # warm-up: each worker loads spaCy on its first chunk
    return run_job(stack)[1]


def restart_redis_after_5_s(stack: Stack, job_id: int) -> None:
    stack.redis.stop()
    time.sleep(5)
    stack.redis = RedisServer(port=stack.redis.port, log_path=stack.logs / "redis-again.log")


def restart_postgres(stack: Stack, job_id: int) -> None:
    stack.pg.restart()


def kill_a_busy_worker(stack: Stack, job_id: int) -> None:
    worker = max(stack.cluster.workers(), key=cpu_ticks)  # in the middle of a chunk: the pusher and monitor wait
    os.kill(worker, signal.SIGKILL)


def restart_the_web(stack: Stack, job_id: int) -> ApiClient:
    stack.server.kill_hard()
    stack.server = AsgiServer(env=stack.env, log_path=stack.logs / "web-again.log")
    return stack.client()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@pytest.mark.parametrize(
    "fault", [restart_redis_after_5_s, restart_postgres, kill_a_busy_worker, restart_the_web], ids=lambda f: f.__name__
)
def test_a_fault_mid_job_costs_seconds_and_nothing_else(stack, uninterrupted, fault):
    job_id, run = run_job(stack, fault)

    assert run.sentences == uninterrupted.sentences
    assert run.actual_credits == uninterrupted.actual_credits and stack.charges(job_id) == 1
    assert run.seconds <= uninterrupted.seconds + SLOWER_BY_AT_MOST, (run.seconds, uninterrupted.seconds)
    print(f"{fault.__name__}: {run.seconds:.1f} s against {uninterrupted.seconds:.1f} s uninterrupted")
