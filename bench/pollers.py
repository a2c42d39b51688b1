"""200 clients polling a processing 457-page job: errors, latency, PostgreSQL
connections and load, before and after (must-show 1 of issue #14).

    .venv/bin/python bench/pollers.py ../shared/data/la-reine-du-sabbat-457p.pdf [--clients 200] [--seconds 60] [--interval 2]
        [--modes plain,etag] [--before 27076d7 | --before ''] [--client raw|httpx]

Starts a PostgreSQL of its own (max_connections=100, PostgreSQL's default), a
Redis of its own and one qcluster, and measures, in the same run and against the same database:

- before: the service as it stood before the connection pool (`--before`, a
  commit checked out in a temporary worktree; `--before ''` leaves it out):
  daphne, one process, a connection per in-flight request, no If-None-Match;
- this tree's `manage.py serve` (uvicorn, WEB_WORKERS processes, each with a
  pool of DB_POOL_MAX_SIZE connections), once per `--modes`:
  `plain`, pollers that never send If-None-Match (the worst case), and
  `etag`, pollers that send back the ETag they last got (a browser, a
  careful client), so that an unchanged job is a 304; and `idle`, the
  same pollers once the last mode's job is cancelled, the cluster idle: what
  the web does with the cores to itself.

Each mode polls a job of its own, started for it (the previous one is
cancelled), so that every mode sees a book in full processing. Each client
polls `GET jobs/{id}` every `--interval` seconds, from this machine, on a
keep-alive connection of its own written by hand (`--client raw`, the
default) or through one httpx pool (`--client httpx`, earlier runs'
client): the client shares the two cores with the server, and httpx alone
takes most of one at 100 requests/s, which the latencies then include.
"client cores" is the CPU of this process (the pollers and the sampler).
Connections are sampled from pg_stat_activity, the load average from
/proc/loadavg, every 0.25 s; the CPU seconds of the web server's and the
cluster's processes are read from /proc at the start and the end of a mode.
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


def sample(pg: PostgresServer, stop: threading.Event, connections: list[int], loads: list[float]) -> None:
    while not stop.is_set():
        loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
        try:
            connections.append(pg.connections())
        except subprocess.CalledProcessError as exc:
            # Even the superuser's reserved slots are taken: the server is at its limit.
            if "too many clients" not in exc.stderr:
                raise
            connections.append(pg.max_connections)
        stop.wait(0.25)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes of process group `pgid`
    (a server and the workers it forked: Started gives each a session of its own)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[0] is the state; then ppid, pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


class HttpxConnection:
    """A poller's requests through one shared httpx.AsyncClient (its pool)."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        response = await self.http.get(path, headers=headers)
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}

    async def close(self) -> None:
        pass


class RawConnection:
    """A poller's own keep-alive connection, HTTP/1.1 written and read by
    hand on asyncio's streams: a fraction of httpx's CPU a request, so that a
    load client on the server's machine takes less of the cores they share."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{lines}\r\n".encode())
        try:
            head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            fields = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name:
                    fields[name.strip().lower()] = value.strip()
            await self.reader.readexactly(int(fields.get("content-length", 0)))
        except (OSError, asyncio.IncompleteReadError):
            await self.close()  # the next request opens a new connection
            raise
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return int(head[0].split()[1]), fields

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def poll(
    base_url: str, token: str, job_id: int, *, clients: int, seconds: float, interval: float, etag: bool, raw: bool
) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    not_modified = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    address = httpx.URL(base_url)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        deadline = time.monotonic() + seconds

        async def client() -> None:
            nonlocal not_modified
            headers = {"Authorization": f"Bearer {token}"}
            connection = RawConnection(address.host, address.port) if raw else HttpxConnection(http)
            await asyncio.sleep(random.uniform(0, interval))
            while time.monotonic() < deadline:
                tick = time.monotonic()
                try:
                    status, fields = await asyncio.wait_for(connection.get(f"/api/v1/jobs/{job_id}", headers), 30)
                    latencies.append((time.monotonic() - tick) * 1000)
                    if status == 304:
                        not_modified += 1
                    elif status != 200:
                        errors[str(status)] = errors.get(str(status), 0) + 1
                    elif etag and "etag" in fields:
                        headers["If-None-Match"] = fields["etag"]
                except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - tick)))
            await connection.close()

        await asyncio.gather(*(client() for _ in range(clients)))
    return {"latencies": latencies, "errors": errors, "not_modified": not_modified}


def measure(
    name: str,
    server: Started,
    url: str,
    cluster: Started,
    pg: PostgresServer,
    token: str,
    job_id: int,
    args,
    *,
    etag: bool = False,
) -> dict:
    connections: list[int] = []
    loads: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(pg, stop, connections, loads), daemon=True)
    sampler.start()
    started = time.monotonic()
    web_cpu, cluster_cpu = group_cpu_seconds(server.pid), group_cpu_seconds(cluster.pid)
    client_cpu = time.process_time()
    raw = args.client == "raw"
    result = asyncio.run(
        poll(url, token, job_id, clients=args.clients, seconds=args.seconds, interval=args.interval, etag=etag, raw=raw)
    )
    client_cpu = time.process_time() - client_cpu
    web_cpu, cluster_cpu = group_cpu_seconds(server.pid) - web_cpu, group_cpu_seconds(cluster.pid) - cluster_cpu
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
        "not_modified": result["not_modified"] / max(1, requests),
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "max": ordered[-1],
        "connections": max(connections or [0]),
        "load": (min(loads or [0]), max(loads or [0])),
        "web_ms": web_cpu * 1000 / max(1, requests),
        "web_cores": web_cpu / elapsed,
        "cluster_cores": cluster_cpu / elapsed,
        "client_cores": client_cpu / elapsed,
    }


def fresh_job(client: ApiClient, pdf: Path, previous: int | None) -> int:
    """A new job of the book, processing, with the previous one cancelled."""
    if previous is not None and client.job(previous)["status"] in ("pending", "processing"):
        client.http.post(f"/jobs/{previous}/cancel")
    job_id = client.confirm_and_start(pdf, 457)
    deadline = time.monotonic() + 120
    while client.job(job_id)["processed_chunks"] < 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    return job_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--before", default="27076d7", help="the commit to measure as 'before'; '' for none")
    parser.add_argument(
        "--modes",
        default="plain,etag",
        help="plain (no If-None-Match), etag (sends it back), idle (etag, the job cancelled: the web alone)",
    )
    parser.add_argument("--cluster-workers", type=int, default=2)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw", help="the pollers' HTTP client")
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    assert set(modes) <= {"plain", "etag", "idle"} and modes[0] != "idle", modes

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
        # AsgiServer's default is one process; the service's is one per core.
        WEB_WORKERS=os.environ.get("WEB_WORKERS", str(os.cpu_count() or 1)),
        DEBUG="0",  # the servers as deployed: DEBUG's query log and static finders cost every request
        LOG_LEVEL="WARNING",
        RATELIMIT_ENABLE="0",
        MONTHLY_GRANT_CREDITS="1000000",  # a book per mode
    )
    started: list[Started] = []
    try:
        prepare_database(env)
        cluster = Cluster(env=env)
        started.append(cluster)
        server = AsgiServer(env=env)
        client = ApiClient(server.url, "bench", "bench-password")
        rows, job_id = [], None
        if args.before:
            job_id = fresh_job(client, args.pdf, job_id)
            server.stop()
            time.sleep(3)  # idle connections of the setup close
            before = OldDaphne(args.before, env={**env, "NOVELPROC_SERVING": "none"})
            started.append(before)
            name = f"before ({args.before}: daphne, 1 process)"
            rows.append(measure(name, before, before.url, cluster, pg, client.token, job_id, args))
            before.stop()
            time.sleep(3)
            server = AsgiServer(env=env)
            client = ApiClient(server.url, "bench", "bench-password")
        started.append(server)
        workers = env["WEB_WORKERS"]
        for mode in modes:
            if mode == "idle":  # the last job cancelled, the cluster with nothing to do: the web alone
                client.http.post(f"/jobs/{job_id}/cancel")
                time.sleep(3)  # the workers finish the chunks they hold
            else:
                job_id = fresh_job(client, args.pdf, job_id)
            name = f"uvicorn, {workers} processes, pool; {mode}"
            etag = mode in ("etag", "idle")
            rows.append(measure(name, server, server.url, cluster, pg, client.token, job_id, args, etag=etag))
            rows[-1]["job"] = client.job(job_id)
        server.stop()

        print(
            f"{args.clients} clients polling GET jobs/{{id}} every {args.interval:g} s for {args.seconds:g} s;"
            f" {args.pdf.name}; PostgreSQL max_connections=100; cluster: {args.cluster_workers} workers;"
            f" load client ({args.client}) on the same machine"
        )
        print(
            f"{'server':<40} {'requests':>8} {'req/s':>6} {'errors':>6} {'304':>5} {'p50 ms':>7} {'p95 ms':>7}"
            f" {'max ms':>7} {'conns':>5} {'load 1m':>9} {'web ms/req':>10} {'web cores':>9} {'cluster cores':>13}"
            f" {'client cores':>12}"
        )
        for row in rows:
            print(
                f"{row['name']:<40} {row['requests']:>8} {row['rate']:>6.1f} {row['errors']:>6}"
                f" {row['not_modified']:>5.0%} {row['p50']:>7.0f} {row['p95']:>7.0f} {row['max']:>7.0f}"
                f" {row['connections']:>5} {row['load'][0]:>4.1f}-{row['load'][1]:<4.1f} {row['web_ms']:>10.1f}"
                f" {row['web_cores']:>9.2f} {row['cluster_cores']:>13.2f} {row['client_cores']:>12.2f}  {row['by_error'] or ''}"
            )
            if "job" in row:
                print(f"    its job at the end: {row['job']['status']}, {row['job']['progress_percent']} %")
    finally:
        for process in started:
            process.stop()
        redis.stop()
        pg.stop()


if __name__ == "__main__":
    main()
