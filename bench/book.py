"""Process one book through a real cluster and report where the time goes.

    .venv/bin/python bench/book.py ../shared/data/la-reine-du-sabbat-457p.pdf [--backend embedded|postgres] [--workers 2]

Prints the wall time from start to completion, the share of the summed chunk
time spent in pypdf, cleaning and the engine, the time chunks waited in the
queue, and the peak resident memory (VmHWM) of every worker process and of
the pypdf child processes, sampled from /proc while the job runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs.tests.live import ROOT, Cluster  # noqa: E402

# What a script that a bench runs in a process of its own (python -c, the
# PDF as its first argument) starts with: Django set up, the services it
# confirms and starts books through.
SCRIPT_SETUP = """
import json, sys, time, django
django.setup()
from django.contrib.auth import get_user_model
from django.core.files import File
from jobs import services
from jobs.models import Job
from jobs.types import ProcessingSettings
pdf = sys.argv[1]
"""
# The start of such a script that confirms and starts the book as the user
# "bench", waits for the job to end and leaves `job` (refreshed) and `wall`
# (seconds from the start) for the bench's own lines.
JOB_RUN = (
    SCRIPT_SETUP
    + """user = get_user_model().objects.get(username="bench")
info = services.pdf_inspect_upload(pdf)
job, _, _ = services.job_confirm(user=user, original_filename="b.pdf", page_count=info.page_count, model_preference="speed", processing=ProcessingSettings())
with open(pdf, "rb") as h:
    services.job_start(user=user, job_id=job.pk, upload=File(h, name="b.pdf"))
t = time.perf_counter()
while not Job.objects.get(pk=job.pk).is_terminal:
    time.sleep(0.05)
wall = time.perf_counter() - t
job.refresh_from_db()
"""
)


def configure(backend: str, data_dir: Path, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}}
    env.update(
        DJANGO_SETTINGS_MODULE="novelproc.settings",
        SECRET_KEY="bench",
        NOVELPROC_DATA_DIR=str(data_dir),
        Q_WORKERS=str(workers),
        LOG_LEVEL="WARNING",
        RATELIMIT_ENABLE="0",
    )
    if backend == "postgres":
        name = f"bench_{uuid.uuid4().hex[:8]}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        env.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
            REDIS_URL="redis://127.0.0.1:6379/14",
            Q_CLUSTER_NAME=name,
        )
    os.environ.update(env)
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the fresh database and create the user `bench` (password `bench-password`) with credits."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(manage + ["migrate", "-v0"], env=env, check=True)
    subprocess.run(manage + ["createcachetable"], env=env, check=True)
    subprocess.run(
        manage + ["setup_demo", "--username", "bench", "--password", "bench-password"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def descendants(pid: int) -> list[int]:
    children = []
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            children.append(int(child))
            children.extend(descendants(int(child)))
    except OSError:
        pass
    return children


def sample_memory(root_pid: int, stop: threading.Event, peaks: dict[int, tuple[str, int]]) -> None:
    while not stop.is_set():
        for pid in descendants(root_pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
            except OSError:
                continue
            hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
            if hwm > peaks.get(pid, ("", 0))[1]:
                peaks[pid] = (cmdline, hwm)
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--backend", choices=["embedded", "postgres"], default="embedded")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="novelproc-bench-"))
    env = configure(args.backend, data_dir, args.workers)
    prepare_database(env)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.db.models import Max, Min

    from jobs import services
    from jobs.types import ProcessingSettings

    cluster = Cluster(env=env)
    peaks: dict[int, tuple[str, int]] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=sample_memory, args=(cluster.pid, stop, peaks), daemon=True)
    sampler.start()
    time.sleep(3)  # the cluster spawns its workers (each loads spaCy lazily, on its first chunk)

    user = get_user_model().objects.get(username="bench")
    info = services.pdf_inspect_upload(str(args.pdf))
    job, _, _ = services.job_confirm(
        user=user,
        original_filename=args.pdf.name,
        page_count=info.page_count,
        model_preference="speed",
        processing=ProcessingSettings(),
    )
    started = time.perf_counter()
    with args.pdf.open("rb") as handle:
        services.job_start(user=user, job_id=job.pk, upload=File(handle, name=args.pdf.name))
    while True:
        job.refresh_from_db()
        if job.is_terminal:
            break
        time.sleep(0.2)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    cluster.stop(grace=60)

    chunks = list(job.chunks.all())
    steps = {step: sum(c.timings.get(step, 0) for c in chunks) for step in ("pdf", "cleaning", "engine")}
    busy = sum((c.finished_at - c.started_at).total_seconds() for c in chunks if c.finished_at and c.started_at)
    span = job.chunks.aggregate(first=Min("started_at"), last=Max("finished_at"))
    queue_wait = (span["first"] - job.queued_at).total_seconds()
    workers = [kb for cmd, kb in peaks.values() if "_pdfchild" not in cmd]
    pdf_children = [kb for cmd, kb in peaks.values() if "_pdfchild" in cmd]

    print(
        f"book: {args.pdf.name}, {job.page_count} pages, {job.total_chunks} chunks (size {job.chunk_size}, parallel {job.parallel}), backend {args.backend}, {args.workers} workers"
    )
    print(
        f"status: {job.status}, {len(job.sentences)} sentences, {job.total_tokens} tokens, {job.actual_credits} credits"
    )
    print(f"wall time start→completed: {wall:.1f} s ({job.page_count / wall:.1f} pages/s)")
    print(
        f"summed chunk time: {busy:.1f} s; of it pdf {steps['pdf']:.1f} s ({steps['pdf'] / busy:.0%}), cleaning {steps['cleaning']:.1f} s ({steps['cleaning'] / busy:.0%}), engine {steps['engine']:.1f} s ({steps['engine'] / busy:.0%}), recording/other {busy - sum(steps.values()):.1f} s"
    )
    print(
        f"queue: first chunk claimed {queue_wait:.2f} s after start; parallelism achieved {busy / wall:.2f} of {args.workers} workers"
    )
    print(
        f"peak RSS: worker processes max {max(workers, default=0) / 1024:.0f} MB (over {len(workers)} cluster processes); pypdf children max {max(pdf_children, default=0) / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
