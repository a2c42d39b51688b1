"""200 clients polling a processing 457-page job: errors, latency and
PostgreSQL connections, before and after (must-show 1 of issue #14).

    .venv/bin/python bench/pollers.py ../shared/data/la-reine-du-sabbat-457p.pdf [--clients 200] [--seconds 60] [--interval 2]

Starts a PostgreSQL of its own (max_connections=100, PostgreSQL's default), a
Redis of its own and one qcluster, starts the book as a job, and while it is
processing measures, in the same run and against the same job and database:

- before: the service as it stood before the connection pool (`--before`, a
  commit checked out in a temporary worktree): daphne, one process, a
  connection per in-flight request;
- after: this tree's `manage.py serve` (uvicorn, WEB_WORKERS processes, each
  with a pool of DB_POOL_MAX_SIZE connections).

Each client polls `GET jobs/{id}` every `--interval` seconds (no
If-None-Match: the worst case), from this machine. Connections are sampled
from pg_stat_activity every 0.25 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import prepare_database  # noqa: E402

from jobs.tests.live import (  # noqa: E402
    ROOT,
    ApiClient,
    AsgiServer,
    Cluster,
    PostgresServer,
    RedisServer,
    Started,
    free_port,
    wait_until_serving,
)


class OldDaphne(Started):
    """daphne serving the tree at `rev`, checked out in a temporary worktree."""

    def __init__(self, rev: str, *, env: dict[str, str]):
        self.tree = Path(tempfile.mkdtemp(prefix="novelproc-before-")) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(self.tree), rev], check=True)
        (self.tree / ".venv").symlink_to(ROOT / ".venv")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "novelproc.asgi:application",
            ],
            cwd=self.tree,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.log = None
        wait_until_serving(f"{self.url}/healthz", timeout=60)

    def stop(self, *, grace: float = 8) -> bool:
        clean = super().stop(grace=grace)
        if self.tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(self.tree)], check=False)
        return clean


def sample_connections(pg: PostgresServer, stop: threading.Event, seen: list[int]) -> None:
    while not stop.is_set():
        try:
            seen.append(pg.connections())
        except subprocess.CalledProcessError as exc:
            # Even the superuser's reserved slots are taken: the server is at its limit.
            if "too many clients" not in exc.stderr:
                raise
            seen.append(pg.max_connections)
        stop.wait(0.25)


async def poll(base_url: str, token: str, job_id: int, *, clients: int, seconds: float, interval: float) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + seconds

        async def client() -> None:
            await asyncio.sleep(random.uniform(0, interval))
            while time.monotonic() < deadline:
                tick = time.monotonic()
                try:
                    response = await http.get(f"/api/v1/jobs/{job_id}", headers=headers)
                    latencies.append((time.monotonic() - tick) * 1000)
                    if response.status_code != 200:
                        errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - tick)))

        await asyncio.gather(*(client() for _ in range(clients)))
    return {"latencies": latencies, "errors": errors}


def measure(name: str, server_url: str, pg: PostgresServer, token: str, job_id: int, args) -> dict:
    seen: list[int] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_connections, args=(pg, stop, seen), daemon=True)
    sampler.start()
    started = time.monotonic()
    result = asyncio.run(
        poll(server_url, token, job_id, clients=args.clients, seconds=args.seconds, interval=args.interval)
    )
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    ordered = sorted(result["latencies"]) or [0.0]
    requests = len(result["latencies"]) + sum(result["errors"].values())
    return {
        "name": name,
        "requests": requests,
        "rate": requests / elapsed,
        "errors": sum(result["errors"].values()),
        "by_error": result["errors"],
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "max": ordered[-1],
        "connections": max(seen or [0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--before", default="27076d7", help="the commit to measure as 'before'")
    parser.add_argument("--cluster-workers", type=int, default=2)
    args = parser.parse_args()

    pg, redis = PostgresServer(), RedisServer()
    data_dir = Path(tempfile.mkdtemp(prefix="novelproc-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}}
    env.update(
        DJANGO_SETTINGS_MODULE="novelproc.settings",
        SECRET_KEY="bench",
        NOVELPROC_DATA_DIR=str(data_dir),
        DATABASE_URL=pg.url,
        REDIS_URL=redis.url,
        Q_CLUSTER_NAME=f"bench_{uuid.uuid4().hex[:8]}",
        Q_WORKERS=str(args.cluster_workers),
        LOG_LEVEL="WARNING",
        RATELIMIT_ENABLE="0",
    )
    started: list[Started] = []
    try:
        prepare_database(env)
        started.append(Cluster(env=env))
        server = AsgiServer(env=env)
        client = ApiClient(server.url, "bench", "bench-password")
        job_id = client.confirm_and_start(args.pdf, 457)
        server.stop()
        time.sleep(5)  # the job is processing; idle connections of the setup close

        rows = []
        before = OldDaphne(args.before, env={**env, "NOVELPROC_SERVING": "none"})
        started.append(before)
        rows.append(measure(f"before ({args.before}: daphne, 1 process)", before.url, pg, client.token, job_id, args))
        before.stop()
        time.sleep(3)
        after = AsgiServer(env=env)
        started.append(after)
        workers = env.get("WEB_WORKERS", str(os.cpu_count()))
        rows.append(measure(f"after (uvicorn, {workers} processes, pool)", after.url, pg, client.token, job_id, args))
        status = ApiClient(after.url, "bench", "bench-password").job(job_id)
        after.stop()

        print(
            f"{args.clients} clients polling GET jobs/{{id}} every {args.interval:g} s for {args.seconds:g} s;"
            f" {args.pdf.name}; PostgreSQL max_connections=100; load client on the same machine"
        )
        print(f"job {job_id} at the end: {status['status']}, {status['progress_percent']} %")
        print(
            f"{'server':<44} {'requests':>8} {'req/s':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'max conns':>9}"
        )
        for row in rows:
            print(
                f"{row['name']:<44} {row['requests']:>8} {row['rate']:>6.1f} {row['errors']:>6} {row['p50']:>7.0f}"
                f" {row['p95']:>7.0f} {row['max']:>7.0f} {row['connections']:>9}  {row['by_error'] or ''}"
            )
    finally:
        for process in started:
            process.stop()
        redis.stop()
        pg.stop()


if __name__ == "__main__":
    main()
