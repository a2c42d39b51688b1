"""Wall time of a book on the Gemini path against the fake server with a fixed
latency, next to the ideal critical path for the same settings.

    .venv/bin/python bench/gemini_overhead.py ../shared/data/la-reine-du-sabbat-457p.pdf --latency 2 --workers 2 4 8 --parallel 5 10

Ideal = waves × latency + the extraction of one chunk, where waves =
ceil(chunks / min(parallel, workers)): with no overhead at all, chunks run in
waves of as many as may be in flight, each wave one Gemini call long, after the
first chunk's pages are read. Overhead = wall / ideal − 1 (goal: ≤ 15 %).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import ROOT, configure, prepare_database  # noqa: E402


def run_once(pdf: Path, *, latency: float, workers: int, parallel: int, backend: str) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="novelproc-bench-"))
    fake_port = 18000 + workers * 10 + parallel
    fake = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "fake_gemini", "--port", str(fake_port), "--latency", str(latency)],
                            env={**configure(backend, data_dir, workers), "DEBUG": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = configure(backend, data_dir, workers)
    env.update(GEMINI_API_KEY="bench", GEMINI_BASE_URL=f"http://127.0.0.1:{fake_port}", Q_WORKERS=str(workers), CHUNK_PARALLEL_OVERRIDE=str(parallel))
    manage = [sys.executable, str(ROOT / "manage.py")]
    prepare_database(env)
    script = f"""
import time, django
django.setup()
from django.contrib.auth import get_user_model
from django.core.files import File
from jobs import services
from jobs.models import Job
user = get_user_model().objects.get(username="bench")
info = services.pdf_inspect_upload({str(pdf)!r})
job, _, _ = services.job_confirm(user=user, original_filename="b.pdf", page_count=info.page_count, model_preference="speed", processing=services.ProcessingSettings())
with open({str(pdf)!r}, "rb") as h:
    services.job_start(user=user, job_id=job.pk, upload=File(h, name="b.pdf"))
t = time.perf_counter()
while not Job.objects.get(pk=job.pk).is_terminal:
    time.sleep(0.1)
wall = time.perf_counter() - t
job.refresh_from_db()
first_pdf = min(c.timings.get("pdf", 0) + c.timings.get("cleaning", 0) for c in job.chunks.all())
print(job.status, job.total_chunks, wall, first_pdf, job.gemini_api_calls)
"""
    cluster = subprocess.Popen(manage + ["qcluster"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2 + workers * 0.5)  # workers spawn; each loads spaCy on its first chunk
        out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    finally:
        cluster.terminate()
        fake.terminate()
        cluster.wait(timeout=60)
        fake.wait(timeout=30)
    status, chunks, wall, first_pdf, calls = out[0], int(out[1]), float(out[2]), float(out[3]), int(out[4])
    waves = math.ceil(chunks / min(parallel, workers))
    ideal = waves * latency + first_pdf
    return {"status": status, "chunks": chunks, "wall": wall, "ideal": ideal, "calls": calls, "waves": waves, "first": first_pdf}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--parallel", type=int, nargs="+", default=[5])
    parser.add_argument("--backend", choices=["embedded", "postgres"], default="postgres")
    args = parser.parse_args()
    print(f"{args.pdf.name}, fake Gemini latency {args.latency} s, backend {args.backend}")
    print("workers parallel chunks waves  ideal s   wall s  overhead  calls")
    for workers in args.workers:
        for parallel in args.parallel:
            r = run_once(args.pdf, latency=args.latency, workers=workers, parallel=parallel, backend=args.backend)
            print(f"{workers:7d} {parallel:8d} {r['chunks']:6d} {r['waves']:5d} {r['ideal']:8.1f} {r['wall']:8.1f} {r['wall'] / r['ideal'] - 1:8.0%} {r['calls']:6d}  ({r['status']})")


if __name__ == "__main__":
    main()
