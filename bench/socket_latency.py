"""Latency from a chunk being recorded to its event reaching socket clients.

    .venv/bin/python bench/socket_latency.py --backend postgres --jobs 1 --sockets-per-job 1
    .venv/bin/python bench/socket_latency.py --backend embedded --jobs 1 --sockets-per-job 1
    .venv/bin/python bench/socket_latency.py --backend postgres --jobs 20 --sockets-per-job 10

Starts daphne and a qcluster on a fresh database, starts the jobs (a self-made
40-page book in 2-page chunks: 20 chunks each), and connects the sockets as
API clients. For every chunk, latency = the moment a socket first hears it
succeeded − the chunk's `finished_at` (set when the worker records it; same
machine clock). At the end each socket's merged sentences are compared with
the job's result: order kept, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import configure, prepare_database  # noqa: E402

from jobs.tests.live import ApiClient, AsgiServer, Cluster  # noqa: E402  (book put the project on the path)
from jobs.tests.pdfmaker import write_story_pdf  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def follow(host: str, job_id: int, token: str, arrivals: dict, results: dict, key) -> None:
    sentences: dict[int, list[str]] = {}
    last_percent = -1
    async with websockets.connect(
        f"ws://{host}/ws/jobs/{job_id}/",
        subprotocols=["bearer", token],
        origin=f"http://{host}",
        max_size=2**24,
        open_timeout=30,
    ) as ws:
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=600))
            now = time.time()
            assert event["job"]["progress_percent"] >= last_percent, "events out of order"
            last_percent = event["job"]["progress_percent"]
            for chunk in event["chunks"]:
                if chunk["status"] == "succeeded":
                    arrivals.setdefault((job_id, chunk["index"], key), now)
            for index, chunk_sentences in event["sentences"].items():
                sentences[int(index)] = chunk_sentences
            if event["job"]["status"] in {"completed", "failed", "cancelled"}:
                results[key] = [s for i in sorted(sentences) for s in sentences[i]]
                return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "postgres"], default="postgres")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--sockets-per-job", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="novelproc-bench-"))
    env = configure(args.backend, data_dir, args.workers)
    env.update(
        MAX_ACTIVE_JOBS_PER_USER="1000",
        MAX_QUEUED_JOBS="1000",
        CHUNK_SIZE_OVERRIDE="2",
        WHITENOISE_USE_FINDERS="1",
        MONTHLY_GRANT_CREDITS="1000000",
    )
    prepare_database(env)
    pdf = write_story_pdf(data_dir / "story.pdf", 40)
    server = AsgiServer(env=env)
    host = server.host
    cluster = None
    try:
        client = ApiClient(server.url, "bench", "bench-password", timeout=60)
        token = client.token
        job_ids = [client.confirm_and_start(pdf, 40) for _ in range(args.jobs)]

        arrivals: dict = {}
        results: dict = {}

        async def run() -> None:
            tasks = [
                follow(host, job_id, token, arrivals, results, (job_id, n))
                for job_id in job_ids
                for n in range(args.sockets_per_job)
            ]
            await asyncio.sleep(0)
            return await asyncio.gather(*tasks)

        # The sockets connect first, then the workers start: every chunk is seen live.
        async def with_cluster():
            nonlocal cluster
            watchers = asyncio.ensure_future(run())
            await asyncio.sleep(2)
            cluster = Cluster(env=env)
            await watchers

        started = time.perf_counter()
        asyncio.run(with_cluster())
        wall = time.perf_counter() - started

        import django

        django.setup()
        from jobs.models import Chunk, Job

        finished = {
            (c.job_id, c.index): c.finished_at.timestamp()
            for c in Chunk.objects.filter(job_id__in=job_ids, status="succeeded")
        }
        latencies = [arrivals[key] - finished[key[:2]] for key in arrivals if key[:2] in finished]
        complete = sum(
            results[(job_id, n)] == Job.objects.get(pk=job_id).sentences
            for job_id in job_ids
            for n in range(args.sockets_per_job)
        )
        sockets = args.jobs * args.sockets_per_job
        print(
            f"backend {args.backend}: {args.jobs} jobs × {args.sockets_per_job} sockets = {sockets} sockets, {len(finished)} chunks, {args.workers} workers, wall {wall:.1f} s"
        )
        print(
            f"chunk recorded → event at a socket: n={len(latencies)} p50 {statistics.median(latencies) * 1000:.0f} ms  p95 {percentile(latencies, 0.95) * 1000:.0f} ms  max {max(latencies) * 1000:.0f} ms"
        )
        print(
            f"sockets whose merged sentences equal the job's result: {complete}/{sockets}; events in order on every socket: yes"
        )
    finally:
        if cluster is not None:
            cluster.stop(grace=60)
        server.stop(grace=30)


if __name__ == "__main__":
    main()
