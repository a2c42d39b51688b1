"""Wall time of a whole book on the Gemini path against a fake whose latency
follows the tokens it writes (issue #15): the latency plan and the seeds'
plan in the same run.

    .venv/bin/python bench/book_latency.py ../shared/data/la-reine-du-sabbat-457p.pdf [--base 0.8 --tps 300] [--rpm 60 --tpm 1000000] [--plans latency seeds] [--together 3]

One fake server (``manage.py fake_gemini --base B --tps T``: each answer takes
B seconds plus its output tokens / T, as Gemini flash-lite does at about
0.8 s + tokens / 300; its answer is its default cut, which costs it no CPU)
serves a real qcluster with the settings' defaults (7 workers with a key),
the fragment repair off unless ``--repair``: the fake's cut pieces are
verbless where a real model's sentences are not, and would give every chunk
a second call. The job runs once per plan (``CHUNK_PLAN=latency``, then
``seeds``); for each the bench prints the plan (chunks, pages each, pages a
call, calls in flight, its expected time), the wall time from start to
completion, the calls, the most the fake had in flight, the latency of the
plan's longest call (the fake's rule on its longest answer) and the wall's
ratio to it, the prompt tokens the fake counted, the peak RSS of the worker
processes (VmHWM from /proc), and the CPU seconds (user, system) the
cluster's processes spent. With ``--rpm``/``--tpm`` the fake refuses
requests over the RPM per clock minute (a 429 would mean the limiter let
the cluster exceed it), and the bench prints the ideal wall under that quota (``chunking.calls_wall``:
the plan's calls of the longest call's latency, started as the limiter's
clock minutes and the calls in flight allow, from the job's second in its
minute) and the wall's distance to it. With ``--together N``, N users then
start the same book at once on one cluster, and the bench prints each job's
wall and its ratio to the book's wall alone, measured just before. Last,
what the worker's own reading of Gemini's answers costs a page (the
fragment check and the judge's parses, each text parsed once, as the engine
runs them), measured in this process on the book's first chunks.
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
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import JOB_RUN, ROOT, SCRIPT_SETUP, configure, descendants, prepare_database, sample_memory  # noqa: E402

from jobs.tests.live import Cluster, Started, connections_to, free_port  # noqa: E402  (book put the project on the path)

JOB_SCRIPT = (
    JOB_RUN
    + """
print(json.dumps({"status": job.status, "chunks": job.total_chunks, "chunk_size": job.chunk_size, "parallel": job.parallel,
                  "section_pages": job.section_pages, "calls_in_flight": job.calls_in_flight,
                  "expected": job.expected_seconds, "started": time.time() - wall,
                  "wall": wall, "calls": job.gemini_api_calls, "pages": job.page_count, "sentences": len(job.sentences)}))
"""
)
# Books started together (``--together N``): each user confirms the same
# book, then all are started one after the other; each job's wall runs from
# its own start to its completion.
TOGETHER_SCRIPT = (
    SCRIPT_SETUP
    + """names = sys.argv[2:]
info = services.pdf_inspect_upload(pdf)
confirmed = []
for name in names:
    user = get_user_model().objects.get(username=name)
    job, _, _ = services.job_confirm(user=user, original_filename="b.pdf", page_count=info.page_count, model_preference="speed", processing=ProcessingSettings())
    confirmed.append((user, job.pk))
started, ended = {}, {}
for user, pk in confirmed:
    with open(pdf, "rb") as h:
        services.job_start(user=user, job_id=pk, upload=File(h, name="b.pdf"))
    started[pk] = time.perf_counter()
while len(ended) < len(started):
    for pk in started.keys() - ended.keys():
        if Job.objects.get(pk=pk).is_terminal:
            ended[pk] = time.perf_counter()
    time.sleep(0.05)
first = min(started.values())
jobs = [Job.objects.get(pk=pk) for pk in started]
print(json.dumps({"jobs": [{"status": job.status, "started": started[job.pk] - first, "wall": ended[job.pk] - started[job.pk],
                            "chunks": job.total_chunks, "calls": job.gemini_api_calls} for job in jobs]}))
"""
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU of a process itself. Not its children's (cutime):
    a pypdf child is sampled while it runs, and counting it again in its
    parent once reaped counted its CPU twice."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def sample_cpu(root: int, stop: threading.Event, seen: dict[int, tuple[float, float]]) -> None:
    """The last CPU seen of every process of the cluster (one that ends
    between two samples loses at most a sample's 0.2 s)."""
    while not stop.is_set():
        for pid in [root, *descendants(root)]:
            try:
                seen[pid] = cpu_seconds(pid)
            except (OSError, IndexError):
                continue
        stop.wait(0.2)


def sample_workers(root: int, stop: threading.Event, peaks: dict[str, float], database_port: int) -> None:
    """The most any one process of the cluster held at a time: its
    proportional share of memory (PSS: the pages it shares with the other
    forks, spaCy's model loaded before they forked, counted once across
    them), its private memory (USS), its threads, and its connections to the
    database (every process is checked; the workers are the ones that grow)."""
    while not stop.is_set():
        for pid in descendants(root):
            try:
                lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
                rollup = {fields[0].rstrip(":"): int(fields[1]) for fields in (line.split() for line in lines)}
                threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
                held = connections_to(pid, database_port) if database_port else 0
            except (OSError, ValueError, IndexError):
                continue
            for key, value in (
                ("pss_mb", rollup.get("Pss", 0) / 1024),
                ("uss_mb", (rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)) / 1024),
                ("threads", threads),
                ("db_connections", held),
            ):
                peaks[key] = max(peaks.get(key, 0), value)
        stop.wait(0.2)


def fake_stats(url: str, *, reset: bool = False) -> dict:
    if reset:
        urllib.request.urlopen(urllib.request.Request(f"{url}/_reset", data=b"", method="POST")).close()
    with urllib.request.urlopen(f"{url}/_stats") as answer:
        return json.load(answer)


def run_job(
    pdf: Path, *, fake_url: str, fake_pid: int, backend: str, extra: dict[str, str], processes: bool, together: int = 1
) -> dict:
    env = configure(backend, Path(tempfile.mkdtemp(prefix="novelproc-bench-")), 1)
    env.pop("Q_WORKERS")  # the settings' default cluster
    env.update(GEMINI_API_KEY="bench", GEMINI_BASE_URL=fake_url, **extra)
    prepare_database(env)
    users = ["bench", *(f"bench{number}" for number in range(2, together + 1))]
    for user in users[1:]:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "setup_demo", "--username", user, "--password", "bench-password"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    script, arguments = (TOGETHER_SCRIPT, users) if together > 1 else (JOB_SCRIPT, [])
    fake_stats(fake_url, reset=True)
    cluster = Cluster(env=env)
    seen: dict[int, tuple[float, float]] = {}
    peaks: dict[int, tuple[str, int]] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=sample_cpu, args=(cluster.pid, stop, seen), daemon=True)
    memory = threading.Thread(target=sample_memory, args=(cluster.pid, stop, peaks), daemon=True)
    workers: dict[str, float] = {}
    database_port = urlsplit(env["DATABASE_URL"]).port or 5432 if env.get("DATABASE_URL") else 0
    shares = threading.Thread(target=sample_workers, args=(cluster.pid, stop, workers, database_port), daemon=True)
    try:
        time.sleep(6)  # the workers spawn and warm up before the clock starts
        base: dict[int, tuple[float, float]] = {}
        for pid in [cluster.pid, *descendants(cluster.pid)]:
            try:
                base[pid] = cpu_seconds(pid)
            except (OSError, IndexError):
                pass
        sampler.start()
        memory.start()
        if processes:
            shares.start()
        mine, fake_before = time.process_time(), sum(cpu_seconds(fake_pid))
        done = subprocess.run(
            [sys.executable, "-c", script, str(pdf), *arguments],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        stop.set()
        for thread in (sampler, memory, shares):
            if thread.is_alive():
                thread.join()
        cluster.stop(grace=60)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # What else ran on the machine's cores meanwhile: the bench's samplers
    # and the fake (the job's own polling script is left out).
    result["bench_cpu"], result["fake_cpu"] = time.process_time() - mine, sum(cpu_seconds(fake_pid)) - fake_before
    result["cluster_user"] = sum(user - base.get(pid, (0.0, 0.0))[0] for pid, (user, _) in seen.items())
    result["cluster_system"] = sum(system - base.get(pid, (0.0, 0.0))[1] for pid, (_, system) in seen.items())
    result["cluster_cpu"] = result["cluster_user"] + result["cluster_system"]
    result["fake"] = fake_stats(fake_url)
    result["worker_rss_mb"] = max((kb for cmd, kb in peaks.values() if "_pdfchild" not in cmd), default=0) / 1024
    result["workers"] = workers
    return result


def judging_cpu(pdf: Path, chunks: int = 3) -> tuple[float, int]:
    """CPU seconds the worker spends reading the fake's answers for the
    book's first ``chunks`` chunks (the fragment check, then the judge's
    parses of the source and of every line, each text parsed once as the
    engine does), and the pages they hold."""
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
        parsed: dict = {}
        gemini_engine.are_complete(lines, parsed=parsed)
        groups = [
            (
                local_engine.parse_alone([s.text for s in source.sentences], parsed),
                local_engine.parse_alone(lines, parsed),
            )
        ]
        engines.measure_output(lines, limit=8, groups=groups)
        spent += time.process_time() - started
        pages += last - first + 1
    return spent, pages


def report(plan: str, r: dict, args: argparse.Namespace) -> float:
    """The plan's lines; returns its longest call's latency."""
    from jobs.pipeline.chunking import MINUTE, calls_wall

    stats = r["fake"]
    requests = max(1, stats["requests"])
    output = sum(t["candidates"] + t["thoughts"] for t in stats["tokens"].values())
    prompt = sum(t["prompt"] for t in stats["tokens"].values())
    one_call = args.base + stats["longest_answer"] / args.tps
    sections = f"{r['section_pages']} pages a call, " if r["section_pages"] else "one call a chunk, "
    print(
        f"plan {plan}: {r['chunks']} chunks of {r['chunk_size']} pages, {r['parallel']} at once; {sections}"
        f"{r['calls_in_flight'] or r['parallel']} calls in flight planned, expected {r['expected']:.1f} s;"
        f" {r['calls']} calls ({stats['requests']} at the fake, {stats['responses_by_status']}),"
        f" at most {stats['max_in_flight']} in flight; status {r['status']}, {r['sentences']} sentences"
    )
    print(
        f"  wall start→completed {r['wall']:.1f} s; the plan's longest call {one_call:.1f} s"
        f" ({stats['longest_answer']} tokens; mean answer {output / requests:.0f}); wall / longest call = {r['wall'] / one_call:.1f};"
        f" prompt tokens {prompt:,}; peak worker RSS {r['worker_rss_mb']:.0f} MB;"
        f" cluster CPU {r['cluster_cpu']:.1f} s ({r['cluster_cpu'] / r['wall']:.2f} cores;"
        f" user {r['cluster_user']:.1f} s, system {r['cluster_system']:.1f} s)"
    )
    print(
        f"  meanwhile, on the same cores: the fake {r['fake_cpu']:.1f} s of CPU, the bench's samplers {r['bench_cpu']:.1f} s"
    )
    w = r["workers"]
    if w:
        print(
            f"  the most a process of the cluster held: PSS {w.get('pss_mb', 0):.0f} MB, private (USS)"
            f" {w.get('uss_mb', 0):.0f} MB, {w.get('threads', 0):.0f} threads,"
            f" {w.get('db_connections', 0):.0f} database connections"
        )
    if args.rpm or args.tpm:
        per_minute = [args.rpm] if args.rpm else []
        if args.tpm:
            per_minute.append(max(1, args.tpm * requests // max(1, prompt)))
        in_flight = r["calls_in_flight"] or r["parallel"]
        ideal = calls_wall(
            stats["requests"],
            seconds=one_call,
            in_flight=in_flight,
            per_minute=min(per_minute),
            offset=r["started"] % MINUTE,
        )
        most = max(stats.get("max_requests_per_minute", {}).values(), default=0)
        print(
            f"  quota: ideal {ideal:.1f} s under {min(per_minute)} calls a minute ({in_flight} in flight, the job"
            f" started {r['started'] % MINUTE:.0f} s into its minute); wall / ideal = {r['wall'] / ideal:.2f};"
            f" the fake saw at most {most} requests in a minute, {stats['responses_by_status'].get('429', 0)} refused (429)"
        )
    return one_call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--base", type=float, default=0.8)
    parser.add_argument("--tps", type=float, default=300.0)
    parser.add_argument("--backend", choices=["embedded", "postgres"], default="postgres")
    parser.add_argument("--rpm", type=int, default=0, help="GEMINI_RPM for the job (0: no limit).")
    parser.add_argument("--tpm", type=int, default=0, help="GEMINI_TPM for the job (0: no limit).")
    parser.add_argument("--repair", action="store_true", help="The fragment repair on, as in the service.")
    parser.add_argument(
        "--processes",
        action="store_true",
        help="Also sample each process's PSS, USS, threads and database connections (5 a second: it costs the"
        " bench about half a core, taken from the cluster's two, so the walls are measured without it).",
    )
    parser.add_argument(
        "--together",
        type=int,
        default=1,
        metavar="N",
        help="After the plans, N users start the same book together on one cluster, with the first plan (each"
        " job's wall against the book's alone, measured just before in the same run).",
    )
    parser.add_argument("--plans", nargs="+", default=["latency", "seeds"], choices=["latency", "seeds"])
    parser.add_argument(
        "--env",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="More settings for the cluster and the job, e.g. CHUNK_PLAN_MAX_PAGES=100 GEMINI_SECTION_PAGES=1"
        " (one worker holding a hundred calls).",
    )
    args = parser.parse_args()

    port = free_port()
    quota = ["--quota-rpm", str(args.rpm)] if args.rpm else []  # a request over the RPM gets a 429
    fake = Started(
        [sys.executable, str(ROOT / "manage.py"), "fake_gemini", "--port", str(port)]
        + ["--base", str(args.base), "--tps", str(args.tps), *quota],
        env={**configure("embedded", Path(tempfile.mkdtemp()), 1), "DEBUG": "1"},
    )
    fake_url = f"http://127.0.0.1:{port}"
    runs = {}
    try:
        time.sleep(4)  # the fake loads spaCy (for repairs) before it listens
        for plan in args.plans:
            extra = {
                "GEMINI_RPM": str(args.rpm),
                "GEMINI_TPM": str(args.tpm),
                "GEMINI_REPAIR_FRAGMENTS": "1" if args.repair else "0",
                "GEMINI_OUTPUT_TPS": str(args.tps),
                "GEMINI_BASE_SECONDS": str(args.base),
                "CHUNK_PLAN": plan,
                **dict(setting.split("=", 1) for setting in args.env),
            }
            runs[plan] = run_job(
                args.pdf,
                fake_url=fake_url,
                fake_pid=fake.pid,
                backend=args.backend,
                extra=extra,
                processes=args.processes,
            )
        if args.together > 1:
            extra["CHUNK_PLAN"] = args.plans[0]
            together = run_job(
                args.pdf,
                fake_url=fake_url,
                fake_pid=fake.pid,
                backend=args.backend,
                extra=extra,
                processes=False,
                together=args.together,
            )
    finally:
        fake.stop(grace=30)
    print(
        f"{args.pdf.name}: fake at {args.base:g} s + output tokens / {args.tps:g}, backend {args.backend}, "
        f"GEMINI_RPM={args.rpm} GEMINI_TPM={args.tpm}, fragment repair {'on' if args.repair else 'off'},"
        f" the settings' default cluster; load average {os.getloadavg()[0]:.1f}"
    )
    for plan, r in runs.items():
        report(plan, r, args)
    if {"latency", "seeds"} <= runs.keys():
        fast, slow = runs["latency"], runs["seeds"]
        prompt = {plan: sum(t["prompt"] for t in r["fake"]["tokens"].values()) for plan, r in runs.items()}
        print(
            f"latency / seeds: wall {fast['wall'] / slow['wall']:.2f} ({slow['wall'] / fast['wall']:.1f}× faster);"
            f" prompt tokens {prompt['latency'] / prompt['seeds']:.2f}×"
        )
    if args.together > 1:
        alone = runs[args.plans[0]]["wall"]
        print(
            f"{args.together} books started together ({args.plans[0]} plan, one user each, one cluster):"
            f" {together['fake']['requests']} calls, at most {together['fake']['max_in_flight']} in flight,"
            f" cluster CPU {together['cluster_cpu']:.1f} s ({together['cluster_cpu'] / max(j['started'] + j['wall'] for j in together['jobs']):.2f} cores)"
        )
        for number, job in enumerate(together["jobs"], start=1):
            print(
                f"  book {number}: started at +{job['started']:.1f} s, {job['status']} after {job['wall']:.1f} s"
                f" = {job['wall'] / alone:.2f}× its time alone ({alone:.1f} s); {job['chunks']} chunks, {job['calls']} calls"
            )
    spent, pages = judging_cpu(args.pdf)
    book_pages = next(iter(runs.values()))["pages"]
    print(
        f"reading Gemini's answers (fragment check + judge, each text parsed once): {spent / pages:.3f} s of CPU a page,"
        f" about {spent / pages * book_pages:.0f} s for the book"
    )


if __name__ == "__main__":
    main()
