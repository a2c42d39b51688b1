"""Rows for tests that exercise services without going through the pipeline:
jobs, chunks in every state (each as the services would leave it), and
outcomes to record."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from credits.services import credits_reserve
from jobs import services
from jobs.models import Chunk, ChunkStatus, Job, JobStatus
from jobs.pipeline.figures import QualityFigures
from jobs.types import ChunkOutcome

PAGES_PER_CHUNK = 10


def make_job(owner, *, chunks: int = 3, parallel: int = 2, reserve: int = 50, status: str = JobStatus.PENDING) -> Job:
    """A started job (queued, its estimate reserved) with no chunk yet."""
    job = Job.objects.create(
        owner=owner,
        original_filename="book.pdf",
        page_count=chunks * PAGES_PER_CHUNK,
        estimate_rates={"input": 1.0, "output": 1.0},
        pricing_version="t",
        estimated_credits=reserve,
        total_chunks=chunks,
        parallel=parallel,
        queued_at=timezone.now(),
        status=status,
    )
    credits_reserve(user=owner, job=job, amount=reserve, idempotency_key=f"job:{job.pk}:reserve:confirm")
    return job


def make_chunk(job: Job, index: int, status: str = ChunkStatus.PENDING, **fields) -> Chunk:
    """Chunk `index` of `job` in `status`, with the fields that state has:
    a running chunk holds a claim and a live lease, a done one a finish time,
    a succeeded one its sentences and tokens, a failed one its error."""
    now = timezone.now()
    state: dict = {}
    if status != ChunkStatus.PENDING:
        state.update(attempts=1, started_at=now)
    if status == ChunkStatus.RUNNING:
        state.update(claim_token=uuid.uuid4(), lease_expires_at=now + timedelta(seconds=settings.CHUNK_LEASE_SECONDS))
    if status in (ChunkStatus.SUCCEEDED, ChunkStatus.FAILED, ChunkStatus.CANCELLED):
        state.update(finished_at=now)
    if status == ChunkStatus.SUCCEEDED:
        state.update(
            sentences=[f"Phrase {index}."], input_tokens=6, output_tokens=4, tokens_by_model={"local": 10}, words=2
        )
    if status == ChunkStatus.FAILED:
        state.update(error_code="ENGINE_ERROR", error="broken")
    first = index * PAGES_PER_CHUNK + 1
    return Chunk.objects.create(
        job=job,
        index=index,
        first_page=first,
        last_page=first + PAGES_PER_CHUNK - 1,
        status=status,
        **{**state, **fields},
    )


def make_started_job(
    owner, *, chunks: int = 3, parallel: int = 2, reserve: int = 50, status: str = JobStatus.PENDING
) -> Job:
    """A started job whose chunks are all pending, as job_start leaves it (none queued)."""
    job = make_job(owner, chunks=chunks, parallel=parallel, reserve=reserve, status=status)
    for index in range(chunks):
        make_chunk(job, index)
    return job


def make_outcome(sentences: list[str] | None = None, *, tokens: int = 1000, **figures) -> ChunkOutcome:
    """What a chunk's work produced: `tokens` billed locally, 60 % of them input."""
    sentences = ["Il pleut."] if sentences is None else sentences
    return ChunkOutcome(
        sentences=sentences,
        input_tokens=tokens * 6 // 10,
        output_tokens=tokens - tokens * 6 // 10,
        tokens_by_model={"local": tokens},
        timings={"engine": figures.get("engine_seconds", 0.0)},
        quality=QualityFigures(sentences=len(sentences), **figures),
    )


def record(chunk: Chunk, outcome: ChunkOutcome | None = None) -> None:
    """Claim and record `chunk` through the services, as a chunk task does."""
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    assert claimed is not None, f"chunk {chunk.index} could not be claimed"
    assert services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=outcome or make_outcome())


def make_completed_job(owner, *, chunks: int = 2, sentences_per_chunk: int = 2) -> Job:
    """A job whose every chunk was recorded through the services."""
    job = make_started_job(owner, chunks=chunks, parallel=chunks)
    for chunk in job.chunks.order_by("index"):
        record(
            chunk,
            make_outcome([f"Phrase {chunk.index}-{n}." for n in range(sentences_per_chunk)], tokens=200),
        )
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    return job
