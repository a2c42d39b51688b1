"""What one status read costs the web server, request by request (issue #14).

    .venv/bin/python bench/status_cost.py [-n 400]

Starts a PostgreSQL and a Redis of its own and `manage.py serve` with one
process (no cluster: nothing else competes in the service), confirms and
starts a 457-page job that stays queued, then sends `-n` requests one after
another from this machine for each of: `/healthz` (answered by the first
middleware: uvicorn's and Django's floor), `GET credits/me` (a small DRF
endpoint), `GET jobs/{id}` (200) and the same with the ETag it returned
(304). The web process's CPU is read from /proc before and after each
series, so the figures hold on a loaded machine (wall time does not).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import prepare_database  # noqa: E402
from pollers import group_cpu_seconds  # noqa: E402

from jobs.tests.live import ApiClient, AsgiServer, PostgresServer, RedisServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=400)
    args = parser.parse_args()
    pg, redis = PostgresServer(), RedisServer()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}}
    env.update(
        DJANGO_SETTINGS_MODULE="novelproc.settings",
        SECRET_KEY="bench",
        NOVELPROC_DATA_DIR=tempfile.mkdtemp(prefix="novelproc-bench-"),
        DATABASE_URL=pg.url,
        REDIS_URL=redis.url,
        Q_CLUSTER_NAME=f"bench_{uuid.uuid4().hex[:8]}",
        LOG_LEVEL="WARNING",
        RATELIMIT_ENABLE="0",
        WEB_WORKERS="1",
    )
    server = None
    try:
        prepare_database(env)
        server = AsgiServer(env=env)
        client = ApiClient(server.url, "bench", "bench-password")
        job_id = client.confirm("b.pdf", 457)
        http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {client.token}"})
        etag = http.get(f"/api/v1/jobs/{job_id}").headers["ETag"]
        series = {
            "/healthz": ("/healthz", {}),
            "GET credits/me": ("/api/v1/credits/me", {}),
            "GET jobs/{id} (200)": (f"/api/v1/jobs/{job_id}", {}),
            "GET jobs/{id}, If-None-Match": (f"/api/v1/jobs/{job_id}", {"If-None-Match": etag}),
        }
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"one uvicorn process, {args.n} requests a series, one after another; load average {load} at the start")
        print(f"{'request':<30} {'status':>6} {'web CPU ms':>10} {'wall ms':>8}")
        for name, (url, headers) in series.items():
            for _ in range(30):
                http.get(url, headers=headers)
            cpu, started, statuses = group_cpu_seconds(server.pid), time.perf_counter(), set()
            for _ in range(args.n):
                statuses.add(http.get(url, headers=headers).status_code)
            wall, cpu = time.perf_counter() - started, group_cpu_seconds(server.pid) - cpu
            shown = ",".join(str(code) for code in sorted(statuses))
            print(f"{name:<30} {shown:>6} {cpu * 1000 / args.n:>10.2f} {wall * 1000 / args.n:>8.2f}")
    finally:
        if server is not None:
            server.stop()
        redis.stop()
        pg.stop()


if __name__ == "__main__":
    main()
