"""Wall time of a whole book on the Gemini path against a fake whose latency
follows the tokens it writes (issue #15).

    .venv/bin/python bench/book_latency.py ../shared/data/la-reine-du-sabbat-457p.pdf [--base 0.8 --tps 300] [--rpm N --tpm N]

One fake server (``manage.py fake_gemini --base B --tps T``: each answer takes
B seconds plus its output tokens / T, as Gemini flash-lite does at about
0.8 s + tokens / 300; its answer is its default cut, which costs it no CPU)
serves a real qcluster with the settings' defaults (7 workers with a key), the fragment repair off
unless ``--repair``: the fake's cut pieces are verbless where a real model's
sentences are not, and would give every chunk a second call. The job runs with today's plan; the bench
prints the plan (chunks, pages each, parallel), the wall time from start to
completion, the calls, the most calls the fake had in flight at once, the
latency of the plan's longest call (the fake's rule on its longest answer)
and the wall's ratio to it, and the CPU seconds the cluster's processes spent
(sampled from /proc), next to what the worker's own reading of Gemini's
answers costs: the judge's parse of the source and of every line, and the
fragment check (``gemini_engine.are_complete``), measured in this process on
the book's first chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import JOB_RUN, ROOT, configure, descendants, prepare_database  # noqa: E402

from jobs.tests.live import Cluster, Started, free_port  # noqa: E402  (book put the project on the path)

JOB_SCRIPT = (
    JOB_RUN
    + """
print(json.dumps({"status": job.status, "chunks": job.total_chunks, "chunk_size": job.chunk_size, "parallel": job.parallel,
                  "wall": wall, "calls": job.gemini_api_calls, "pages": job.page_count, "sentences": len(job.sentences)}))
"""
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def sample_cpu(root: int, stop: threading.Event, seen: dict[int, float]) -> None:
    while not stop.is_set():
        for pid in [root, *descendants(root)]:
            try:
                seen[pid] = max(seen.get(pid, 0.0), cpu_seconds(pid))
            except (OSError, IndexError):
                continue
        stop.wait(0.2)


def fake_stats(url: str, *, reset: bool = False) -> dict:
    if reset:
        urllib.request.urlopen(urllib.request.Request(f"{url}/_reset", data=b"", method="POST")).close()
    with urllib.request.urlopen(f"{url}/_stats") as answer:
        return json.load(answer)


def run_job(pdf: Path, *, fake_url: str, backend: str, extra: dict[str, str]) -> dict:
    env = configure(backend, Path(tempfile.mkdtemp(prefix="novelproc-bench-")), 1)
    env.pop("Q_WORKERS")  # the settings' default cluster
    env.update(GEMINI_API_KEY="bench", GEMINI_BASE_URL=fake_url, **extra)
    prepare_database(env)
    fake_stats(fake_url, reset=True)
    cluster = Cluster(env=env)
    seen: dict[int, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=sample_cpu, args=(cluster.pid, stop, seen), daemon=True)
    try:
        time.sleep(6)  # the workers spawn and warm up before the clock starts
        base: dict[int, float] = {}
        for pid in [cluster.pid, *descendants(cluster.pid)]:
            try:
                base[pid] = cpu_seconds(pid)
            except (OSError, IndexError):
                pass
        sampler.start()
        done = subprocess.run(
            [sys.executable, "-c", JOB_SCRIPT, str(pdf)], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
    finally:
        stop.set()
        if sampler.is_alive():
            sampler.join()
        cluster.stop(grace=60)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["cluster_cpu"] = sum(seconds - base.get(pid, 0.0) for pid, seconds in seen.items())
    result["fake"] = fake_stats(fake_url)
    return result


def judging_cpu(pdf: Path, chunks: int = 3) -> tuple[float, int]:
    """CPU seconds the worker spends reading the fake's answers for the
    book's first ``chunks`` chunks (the judge's parses and the fragment
    check), and the pages they hold."""
    from devtools.fakegemini import cut_answer
    from jobs.pipeline import engines, gemini_engine, local_engine
    from jobs.pipeline.chunking import plan_chunks
    from jobs.pipeline.pdf import extract_pages, inspect_pdf
    from jobs.pipeline.text import chunk_source

    local_engine.load()
    page_count = inspect_pdf(pdf, max_pages=10_000).page_count
    spent, pages = 0.0, 0
    for first, last in plan_chunks(page_count).ranges[:chunks]:
        source = chunk_source(lambda a, b: extract_pages(pdf, a, b), first=first, last=last, page_count=page_count)
        lines = [line for line in cut_answer(source.sentences, limit=8) if line]
        started = time.process_time()
        gemini_engine.are_complete(lines)
        engines.measure_output(
            lines, limit=8, groups=[(engines.parse([s.text for s in source.sentences]), engines.parse(lines))]
        )
        spent += time.process_time() - started
        pages += last - first + 1
    return spent, pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--base", type=float, default=0.8)
    parser.add_argument("--tps", type=float, default=300.0)
    parser.add_argument("--backend", choices=["embedded", "postgres"], default="postgres")
    parser.add_argument("--rpm", type=int, default=0, help="GEMINI_RPM for the job (0: no limit).")
    parser.add_argument("--tpm", type=int, default=0, help="GEMINI_TPM for the job (0: no limit).")
    parser.add_argument("--repair", action="store_true", help="The fragment repair on, as in the service.")
    args = parser.parse_args()

    port = free_port()
    fake = Started(
        [sys.executable, str(ROOT / "manage.py"), "fake_gemini", "--port", str(port)]
        + ["--base", str(args.base), "--tps", str(args.tps)],
        env={**configure("embedded", Path(tempfile.mkdtemp()), 1), "DEBUG": "1"},
    )
    fake_url = f"http://127.0.0.1:{port}"
    try:
        time.sleep(4)  # the fake loads spaCy (for repairs) before it listens
        extra = {
            "GEMINI_RPM": str(args.rpm),
            "GEMINI_TPM": str(args.tpm),
            "GEMINI_REPAIR_FRAGMENTS": "1" if args.repair else "0",
            "CHUNK_PLAN": "seeds",
        }
        r = run_job(args.pdf, fake_url=fake_url, backend=args.backend, extra=extra)
    finally:
        fake.stop(grace=30)
    stats = r["fake"]
    requests = max(1, stats["requests"])
    output = sum(t["candidates"] + t["thoughts"] for t in stats["tokens"].values())
    one_call = args.base + stats["longest_answer"] / args.tps
    print(
        f"{args.pdf.name}: fake at {args.base:g} s + output tokens / {args.tps:g}, backend {args.backend}, "
        f"GEMINI_RPM={args.rpm} GEMINI_TPM={args.tpm}, fragment repair {'on' if args.repair else 'off'},"
        " the settings' default cluster"
    )
    print(
        f"plan seeds: {r['chunks']} chunks of {r['chunk_size']} pages, {r['parallel']} in parallel;"
        f" {r['calls']} calls ({stats['requests']} at the fake, {stats['responses_by_status']}),"
        f" at most {stats['max_in_flight']} in flight; status {r['status']}, {r['sentences']} sentences"
    )
    print(
        f"wall start→completed {r['wall']:.1f} s; the plan's longest call {one_call:.1f} s"
        f" ({stats['longest_answer']} tokens; mean answer {output / requests:.0f}); wall / longest call = {r['wall'] / one_call:.1f}"
    )
    spent, pages = judging_cpu(args.pdf)
    print(
        f"CPU: the cluster's processes {r['cluster_cpu']:.1f} s over the job ({r['cluster_cpu'] / r['wall']:.2f} cores);"
        f" of it, reading Gemini's answers (judge + fragment check) {spent / pages:.3f} s a page,"
        f" about {spent / pages * r['pages']:.0f} s for the book"
    )


if __name__ == "__main__":
    main()
