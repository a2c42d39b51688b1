"""Process a PDF from a terminal, through the same confirm/start/cluster path as the API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from jobs import services
from jobs.exports import EXPORT_FORMATS, export_job
from jobs.models import DEFAULT_SETTINGS, Job, ModelPreference, Rewrite
from jobs.selectors import workers_alive
from jobs.types import ProcessingSettings
from novelproc.errors import DomainError


def progress_bar(job: Job, width: int = 30) -> str:
    filled = width * job.progress_percent // 100
    return f"[{'#' * filled}{'.' * (width - filled)}] {job.progress_percent:3d}% {job.processed_chunks}/{job.total_chunks} chunks  {job.current_step}"


class Command(BaseCommand):
    help = "Process a French novel (PDF) into short sentences with a terminal progress bar."

    def add_arguments(self, parser):
        parser.add_argument("pdf", type=Path)
        parser.add_argument("--user", required=True, help="Username whose credits pay for the job.")
        bounds = Job.SENTENCE_LIMIT
        parser.add_argument(
            "--limit",
            type=int,
            default=bounds.default,
            help=f"Maximum words per sentence ({bounds.low}-{bounds.high}).",
        )
        parser.add_argument("--model", choices=ModelPreference.values, default=ModelPreference.BALANCED)
        parser.add_argument(
            "--economy",
            action="store_true",
            help="Gemini calls on the Flex tier: half price, slower answers (no effect on the local engine).",
        )
        parser.add_argument(
            "--rewrite",
            choices=Rewrite.values,
            default=DEFAULT_SETTINGS.rewrite,
            help="simplify: complete short sentences; split: the book's words, cut.",
        )
        parser.add_argument(
            "--out", type=Path, help="Write the sentences here (.csv, .json, .txt, .xlsx, or .apkg for an Anki deck)."
        )
        parser.add_argument(
            "--timeout", type=float, default=3600, help="Give up waiting after this many seconds (the job goes on)."
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Never start a worker; wait for a running cluster."
        )

    def handle(
        self,
        *args,
        pdf: Path,
        user: str,
        limit: int,
        model: str,
        economy: bool,
        rewrite: str,
        out: Path | None,
        timeout: float,
        no_worker: bool,
        **options,
    ):
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"No user {user!r}; create one with `python manage.py setup_demo --username {user}`.")
        if not pdf.is_file():
            raise CommandError(f"No such file: {pdf}")
        if out is not None and out.suffix.lstrip(".").lower() not in EXPORT_FORMATS:
            raise CommandError(f"--out must end with one of {', '.join('.' + f for f in EXPORT_FORMATS)}")
        try:
            job = self._confirm_and_start(owner, pdf, limit, model, rewrite, economy=economy)
        except DomainError as exc:
            raise CommandError(f"{exc.error_code}: {exc.message}") from exc
        worker = None if no_worker or workers_alive() else self._start_worker()
        try:
            job = self._follow(job, timeout)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=60)
        self.stdout.write(
            f"\nJob {job.pk} {job.status}: {len(job.sentences)} sentences, {job.total_tokens} tokens, {job.actual_credits} credits charged."
        )
        if job.error_message:
            self.stdout.write(f"Error: {job.error_code} {job.error_message}")
        if out is not None and job.is_terminal:
            out.write_bytes(export_job(job, out.suffix.lstrip(".").lower()))
            self.stdout.write(f"Wrote {out}")
        if job.status != "completed":
            raise CommandError(f"Job ended {job.status}.")

    def _confirm_and_start(self, owner, pdf: Path, limit: int, model: str, rewrite: str, *, economy: bool) -> Job:
        if limit not in Job.SENTENCE_LIMIT:
            raise CommandError(f"--limit must be between {Job.SENTENCE_LIMIT.low} and {Job.SENTENCE_LIMIT.high}")
        info = services.pdf_inspect_upload(str(pdf))
        processing = ProcessingSettings(sentence_length_limit=limit, rewrite=rewrite)
        job, balance, _ = services.job_confirm(
            user=owner,
            original_filename=pdf.name,
            page_count=info.page_count,
            model_preference=model,
            processing=processing,
            economy=economy,
        )
        tier = " (economy: Flex tier)" if job.economy else ""
        self.stdout.write(
            f"Job {job.pk}: {info.page_count} pages, {job.estimated_credits} credits reserved{tier}, balance {balance}."
        )
        with pdf.open("rb") as handle:
            return services.job_start(user=owner, job_id=job.pk, upload=File(handle, name=pdf.name))

    def _start_worker(self) -> subprocess.Popen:
        self.stdout.write("No cluster is running: starting `manage.py qcluster` for this job.")
        manage = Path(__file__).resolve().parents[3] / "manage.py"
        return subprocess.Popen(
            [sys.executable, str(manage), "qcluster"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _follow(self, job: Job, timeout: float) -> Job:
        deadline = time.monotonic() + timeout
        while True:
            job.refresh_from_db()
            self.stdout.write("\r" + progress_bar(job).ljust(100), ending="")
            self.stdout.flush()
            if job.is_terminal:
                return job
            if time.monotonic() > deadline:
                raise CommandError(f"\nStill {job.status} after {timeout:.0f} s; follow it at /api/v1/jobs/{job.pk}.")
            time.sleep(0.5)
