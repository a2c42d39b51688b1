"""Live progress: the typed payloads a job's socket receives, and the one
function that announces a change.

Workers and web processes only *announce* that a job changed (a tiny ping to
the group `job_<id>`, after commit). Each socket consumer then reads the job
from the database and sends what changed since its last message. The database
stays the truth: a dropped ping (channel layers deliver at most once) or a
reconnect loses nothing, and a 500-page book never floods the layer with
sentences.
"""

from __future__ import annotations

import logging
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from jobs.models import Chunk, ChunkStatus, Job
from jobs.selectors import job_quality
from jobs.serializers import JobQualitySerializer
from novelproc.errors import JobNotFound

logger = logging.getLogger(__name__)


class JobSummary(TypedDict):
    id: int
    status: str
    progress_percent: int
    current_step: str
    processed_chunks: int
    total_chunks: int
    failed_chunks: list[int]
    estimated_credits: int
    actual_credits: int | None
    sentence_count: int | None
    quality: dict[str, int | float | None]  # JobQualitySerializer's: the same object as the API's


class ChunkState(TypedDict):
    index: int
    status: str
    first_page: int
    last_page: int


class SnapshotEvent(TypedDict):
    type: Literal["snapshot"]
    job: JobSummary
    chunks: list[ChunkState]
    sentences: dict[str, list[str]]  # chunk index → its sentences, for every succeeded chunk


class ProgressEvent(TypedDict):
    type: Literal["progress"]
    job: JobSummary
    chunks: list[ChunkState]  # only those whose status changed
    sentences: dict[str, list[str]]  # only chunks newly succeeded


def group_name(job_id: int) -> str:
    return f"job_{job_id}"


def publish_job_changed(job_id: int) -> None:
    """Tell the job's sockets to look again, once the transaction commits."""
    transaction.on_commit(lambda: _ping(job_id))


def _ping(job_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(job_id), {"type": "job.changed", "job_id": job_id})
    except Exception:  # progress is a courtesy: a layer that is down must not fail the work
        logger.warning("Could not announce a change of job %s", job_id, exc_info=True)


class JobWatch:
    """What one socket has already been told about one job; builds its next message."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.chunk_status: dict[int, str] = {}
        self.sent_sentences: set[int] = set()
        self.last_job: JobSummary | None = None

    def snapshot(self) -> SnapshotEvent:
        self.chunk_status, self.sent_sentences, self.last_job = {}, set(), None
        job, chunks, sentences = self._read()
        return {"type": "snapshot", "job": job, "chunks": chunks, "sentences": sentences}

    def changes(self) -> ProgressEvent | None:
        previous = self.last_job
        job, chunks, sentences = self._read()
        if job == previous and not chunks and not sentences:
            return None
        return {"type": "progress", "job": job, "chunks": chunks, "sentences": sentences}

    def _read(self) -> tuple[JobSummary, list[ChunkState], dict[str, list[str]]]:
        job = (
            Job.objects.defer("sentences", "sources", "vocabulary")
            .filter(pk=self.job_id, deleted_at__isnull=True)
            .first()
        )
        if job is None:
            raise JobNotFound()  # deleted since the socket opened: it is gone for its owner too
        rows = list(
            Chunk.objects.filter(job_id=self.job_id)
            .order_by("index")
            .values("index", "status", "first_page", "last_page")
        )
        changed = [row for row in rows if self.chunk_status.get(row["index"]) != row["status"]]
        new_done = [
            row["index"]
            for row in rows
            if row["status"] == ChunkStatus.SUCCEEDED and row["index"] not in self.sent_sentences
        ]
        sentences = {}
        if new_done:
            for index, chunk_sentences in Chunk.objects.filter(job_id=self.job_id, index__in=new_done).values_list(
                "index", "sentences"
            ):
                sentences[str(index)] = chunk_sentences
        summary: JobSummary = {
            "id": job.pk,
            "status": job.status,
            "progress_percent": job.progress_percent,
            "current_step": job.current_step,
            "processed_chunks": job.processed_chunks,
            "total_chunks": job.total_chunks,
            "failed_chunks": [row["index"] for row in rows if row["status"] == ChunkStatus.FAILED],
            "estimated_credits": job.estimated_credits,
            "actual_credits": job.actual_credits,
            "sentence_count": None,
            "quality": dict(JobQualitySerializer(job_quality(job=job)).data),
        }
        if job.is_terminal:
            summary["sentence_count"] = job.sentence_count
        self.chunk_status.update({row["index"]: row["status"] for row in rows})
        self.sent_sentences.update(new_done)
        self.last_job = summary
        return summary, changed, sentences
