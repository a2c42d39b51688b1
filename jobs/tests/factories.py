"""Rows for tests that exercise services without going through the pipeline."""

from __future__ import annotations

from django.utils import timezone

from credits.services import credits_reserve
from jobs.models import Chunk, Job, JobStatus


def make_started_job(
    owner, *, chunks: int = 3, parallel: int = 2, reserve: int = 50, status: str = JobStatus.PENDING
) -> Job:
    job = Job.objects.create(
        owner=owner,
        original_filename="book.pdf",
        page_count=chunks * 10,
        credit_rate=1.0,
        pricing_version="t",
        estimated_credits=reserve,
        total_chunks=chunks,
        parallel=parallel,
        queued_at=timezone.now(),
        status=status,
    )
    credits_reserve(user=owner, job=job, amount=reserve, idempotency_key=f"job:{job.pk}:reserve:confirm")
    Chunk.objects.bulk_create(
        Chunk(job=job, index=i, first_page=i * 10 + 1, last_page=i * 10 + 10) for i in range(chunks)
    )
    return job
