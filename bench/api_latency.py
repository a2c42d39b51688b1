"""Latency of confirm, start and status against a real daphne server.

    .venv/bin/python bench/api_latency.py ../shared/data/albert-savarus-115p.pdf [--backend embedded|postgres] [-n 20]

No worker runs: start only stores, inspects and queues. The reference is
`GET credits/me` measured in the same run (an authenticated request that reads
one aggregate), so the ratios say what each endpoint costs beyond the floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import configure, prepare_database  # noqa: E402

from jobs.tests.live import ApiClient, AsgiServer  # noqa: E402  (book put the project on the path)


def timed(call) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = call()
    return (time.perf_counter() - started) * 1000, response


def summary(name: str, samples: list[float], reference: float) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"{name:<22} n={len(samples):<4} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms   p50/reference {statistics.median(samples) / reference:5.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--backend", choices=["embedded", "postgres"], default="embedded")
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()

    env = configure(args.backend, Path(tempfile.mkdtemp(prefix="novelproc-bench-")), 1)
    env.update(MAX_ACTIVE_JOBS_PER_USER="100000", MAX_QUEUED_JOBS="100000", MONTHLY_GRANT_CREDITS="100000000")
    prepare_database(env)
    server = AsgiServer(env=env)
    try:
        http = ApiClient(server.url, "bench", "bench-password").http
        pdf = args.pdf.read_bytes()
        for _ in range(5):  # warm-up: connections, imports
            http.get("/credits/me")

        reference = [timed(lambda: http.get("/credits/me"))[0] for _ in range(args.n * 5)]
        confirms, starts, job_ids = [], [], []
        for _ in range(args.n):
            ms, response = timed(
                lambda: http.post(
                    "/jobs/confirm",
                    json={"original_filename": args.pdf.name, "page_count": 115, "model_preference": "speed"},
                )
            )
            assert response.status_code == 201, response.text
            confirms.append(ms)
            job_ids.append(response.json()["job_id"])
        for job_id in job_ids:
            ms, response = timed(
                lambda job_id=job_id: http.post(
                    f"/jobs/{job_id}/start", files={"pdf_file": (args.pdf.name, pdf, "application/pdf")}
                )
            )
            assert response.status_code == 202, response.text
            starts.append(ms)
        status = [timed(lambda i=i: http.get(f"/jobs/{job_ids[i % len(job_ids)]}"))[0] for i in range(args.n * 10)]

        floor = statistics.median(reference)
        print(f"backend {args.backend}; file {args.pdf.name} ({len(pdf) // 1024} KB); daphne, one process, loopback")
        print(summary("GET credits/me (ref)", reference, floor))
        print(summary("POST jobs/confirm", confirms, floor))
        print(summary("POST jobs/{id}/start", starts, floor))
        print(summary("GET jobs/{id}", status, floor))
    finally:
        server.stop(grace=30)


if __name__ == "__main__":
    main()
