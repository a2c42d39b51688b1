"""Wall time of a book on the Gemini path against the fake server with a fixed
latency, next to the ideal critical path for the same settings.

    .venv/bin/python bench/gemini_overhead.py ../shared/data/la-reine-du-sabbat-457p.pdf --latency 2 --workers 2 5 7 10 --parallel 5 10

Ideal = waves × latency + the extraction of one chunk (the first chunk's
pages read and cleaned alone, measured in this run), where waves =
ceil(chunks / in-flight calls): with no overhead at all, the calls run in
waves of as many as may be in flight, each wave one Gemini call long, after
the first chunk's pages are read. In-flight calls are bounded by the job's
`parallel` and, since a worker process waits on its own call, by the number
of workers: `ideal` uses min(parallel, workers), `ideal(parallel)` uses
parallel alone, as if workers were unbounded. Overhead = wall / ideal − 1
(goal: ≤ 15 %).

With ``--rpm N`` the measured jobs run under ``GEMINI_RPM=N``: the ideal is
then the same critical path with at most N calls starting in a clock minute
(``ideal_under_quota``), and the fake server's count of calls per clock
minute is printed.

One fake server serves every run. Its latency is the whole answer time, and
it remembers its answers, so after a warm-up job (not reported) it spends no
CPU on this machine's two cores, as the real service would not either.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import JOB_RUN, ROOT, configure, prepare_database  # noqa: E402

from jobs.tests.live import Cluster, Started, free_port  # noqa: E402  (book put the project on the path)

JOB_SCRIPT = (
    JOB_RUN
    + """
t0 = job.queued_at
timings = [dict(c.timings, started=(c.started_at - t0).total_seconds(), finished=(c.finished_at - t0).total_seconds(), queue=(c.started_at - c.enqueued_at).total_seconds()) for c in job.chunks.all()]
print(json.dumps({"status": job.status, "chunks": job.total_chunks, "wall": wall, "calls": job.gemini_api_calls, "queued": t0.timestamp(), "timings": timings}))
"""
)


def run_job(
    pdf: Path, *, fake_url: str, workers: int, parallel: int, read_ahead: int, backend: str, rpm: int = 0
) -> dict:
    env = configure(backend, Path(tempfile.mkdtemp(prefix="novelproc-bench-")), workers)
    env.update(
        GEMINI_API_KEY="bench",
        GEMINI_BASE_URL=fake_url,
        Q_WORKERS=str(workers),
        CHUNK_PARALLEL_OVERRIDE=str(parallel),
        CHUNK_READ_AHEAD=str(read_ahead),
        GEMINI_RPM=str(rpm),
    )
    prepare_database(env)
    cluster = Cluster(env=env)
    try:
        time.sleep(2 + workers * 0.3)  # let the workers spawn before the clock starts
        done = subprocess.run(
            [sys.executable, "-c", JOB_SCRIPT, str(pdf)], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
    finally:
        cluster.stop(grace=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


def first_chunk_reading(pdf: Path) -> float:
    """Seconds to read and clean the first chunk's pages, alone on the machine, as a chunk task does."""
    from jobs.pipeline import lexicon
    from jobs.pipeline.chunking import plan_chunks
    from jobs.pipeline.pdf import extract_pages, inspect_pdf
    from jobs.pipeline.text import chunk_source

    page_count = inspect_pdf(pdf, max_pages=10_000).page_count
    first, last = plan_chunks(page_count).ranges[0]
    extract_pages(pdf, 1, 1)  # a worker's reader process and lexicon are loaded before its first chunk
    lexicon.is_word("maison")
    started = time.perf_counter()
    chunk_source(lambda a, b: extract_pages(pdf, a, b), first=first, last=last, page_count=page_count)
    return time.perf_counter() - started


def ideal_under_quota(calls: int, *, in_flight: int, latency: float, first: float, rpm: int, queued: float) -> float:
    """The critical path when at most ``rpm`` calls may start in a clock
    minute, by the limiter's rule (jobs.quota: a call started in a minute's
    last GUARD_SECONDS counts in the next minute too), for a job queued at
    epoch ``queued``: each call starts as soon as a slot is free and its
    minute has room, else when the next minute begins."""
    from jobs.quota import GUARD_SECONDS, WINDOW

    running: list[float] = []
    started: Counter[int] = Counter()
    at = first
    for _ in range(calls):
        if len(running) >= in_flight:
            at = max(at, heapq.heappop(running))
        while True:
            now = queued + at
            minute = int(now // WINDOW)
            counted = [minute, minute + 1] if now % WINDOW >= WINDOW - GUARD_SECONDS else [minute]
            if all(started[m] < rpm for m in counted):
                break
            at = (minute + 1) * WINDOW - queued
        started.update(counted)
        heapq.heappush(running, at + latency)
    return max(running)


def summarise(result: dict, *, latency: float, workers: int, parallel: int, first: float, rpm: int = 0) -> dict:
    timings = result["timings"]
    reading = [t.get("pdf", 0) + t.get("cleaning", 0) for t in timings]
    in_flight = min(parallel, workers)
    by_waves = math.ceil(result["chunks"] / in_flight) * latency + first
    return {
        **result,
        "ideal": ideal_under_quota(
            result["chunks"], in_flight=in_flight, latency=latency, first=first, rpm=rpm, queued=result["queued"]
        )
        if rpm
        else by_waves,
        "ideal_parallel": math.ceil(result["chunks"] / parallel) * latency + first,
        "reading": statistics.mean(reading),
        "slot_wait": statistics.mean(t.get("slot_wait", 0) for t in timings),
        "call": statistics.mean(t.get("engine", 0) for t in timings),
    }


def fake_counts(fake_url: str) -> Counter[str]:
    """Requests the fake server saw per clock minute, all models together."""
    with urllib.request.urlopen(f"{fake_url}/_stats") as answer:
        per_model = json.load(answer)["requests_per_minute"]
    return sum((Counter(minutes) for minutes in per_model.values()), Counter())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 5, 7, 10])
    parser.add_argument("--parallel", type=int, nargs="+", default=[5])
    parser.add_argument(
        "--read-ahead", type=int, default=2, help="CHUNK_READ_AHEAD: chunks read while others wait on their call."
    )
    parser.add_argument(
        "--timeline", action="store_true", help="Also print when each chunk started and finished, and its steps."
    )
    parser.add_argument("--backend", choices=["embedded", "postgres"], default="postgres")
    parser.add_argument(
        "--rpm",
        type=int,
        default=0,
        help="GEMINI_RPM for the measured jobs: the ideal then follows the quota's clock minutes.",
    )
    args = parser.parse_args()

    port = free_port()
    fake = Started(
        [sys.executable, str(ROOT / "manage.py"), "fake_gemini", "--port", str(port), "--latency", str(args.latency)],
        env={**configure("embedded", Path(tempfile.mkdtemp()), 1), "DEBUG": "1"},
    )
    fake_url = f"http://127.0.0.1:{port}"
    try:
        time.sleep(4)  # the fake loads spaCy before it listens
        run = dict(fake_url=fake_url, read_ahead=args.read_ahead, backend=args.backend)
        run_job(
            args.pdf, workers=max(args.workers), parallel=max(args.parallel), **run
        )  # warm-up: the fake learns its answers
        first = first_chunk_reading(args.pdf)
        print(
            f"{args.pdf.name}, fake Gemini latency {args.latency} s, read-ahead {args.read_ahead}, backend {args.backend}; first chunk read alone in {first:.2f} s"
        )
        print(
            "workers parallel chunks waves   ideal  ideal(parallel)   wall  overhead  calls  read s  slot wait s  call s"
        )
        for workers in args.workers:
            for parallel in args.parallel:
                before = fake_counts(fake_url)
                r = summarise(
                    run_job(args.pdf, workers=workers, parallel=parallel, rpm=args.rpm, **run),
                    latency=args.latency,
                    workers=workers,
                    parallel=parallel,
                    first=first,
                    rpm=args.rpm,
                )
                waves = math.ceil(r["chunks"] / min(parallel, workers))
                print(
                    f"{workers:7d} {parallel:8d} {r['chunks']:6d} {waves:5d} {r['ideal']:7.1f} {r['ideal_parallel']:16.1f} {r['wall']:6.1f}"
                    f" {r['wall'] / r['ideal'] - 1:8.0%} {r['calls']:6d} {r['reading']:7.2f} {r['slot_wait']:12.2f} {r['call']:7.2f}  ({r['status']})"
                )
                if args.rpm:
                    after = fake_counts(fake_url)
                    print(
                        "    calls per clock minute:",
                        [after[m] - before.get(m, 0) for m in sorted(after) if after[m] > before.get(m, 0)],
                        f"(GEMINI_RPM={args.rpm})",
                    )
                if args.timeline:
                    for i, t in enumerate(r["timings"]):
                        print(
                            f"  chunk {i:2d}: start {t['started']:5.1f}  finish {t['finished']:5.1f}  "
                            + " ".join(f"{k} {v:.2f}" for k, v in t.items() if k not in ("started", "finished"))
                        )
        with urllib.request.urlopen(f"{fake_url}/_stats") as answer:
            print("fake server:", json.load(answer)["requests"], "requests in all (warm-up included)")
    finally:
        fake.stop(grace=30)


if __name__ == "__main__":
    main()
