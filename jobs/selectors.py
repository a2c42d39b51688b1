"""Reads worth naming."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, FloatField, Func, IntegerField, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from jobs.models import (
    ACTIVE_STATUSES,
    CHUNK_STAGES,
    Chunk,
    ChunkStatus,
    Job,
    JobStatus,
    ModelPreference,
    PageText,
)
from jobs.pipeline.figures import QualityFigures
from jobs.pipeline.vocabulary import PROPER_NAME, Lemma, select
from jobs.types import ProcessingSettings
from novelproc.errors import JobNotFound, NotReady, ResultsExpired, UserInactive

TASK_STATES = {
    JobStatus.PENDING: "PENDING",
    JobStatus.PROCESSING: "PROGRESS",
    JobStatus.COMPLETED: "SUCCESS",
    JobStatus.FAILED: "FAILURE",
    JobStatus.CANCELLED: "REVOKED",
}


def get_owned_job(*, user, job_id: int) -> Job:
    """The user's job; raises JobNotFound for a job of another user, a deleted
    one or an id that is not one, alike, so that nobody learns which exist."""
    try:
        return Job.objects.get(pk=job_id, owner=user, deleted_at__isnull=True)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise JobNotFound() from None


# The big columns a status read never loads (the result's, the merged vocabulary).
RESULT_COLUMNS = ("sentences", "sources", "chapters", "vocabulary")


def get_owned_job_status(*, user, job_id: int) -> Job:
    """The user's job for a status read: one indexed query by primary key,
    without its sentences. The owner's row is joined in, so that a user
    known only from a token's claims (the status read does not load the user
    on its own) is refused once deactivated: UserInactive."""
    try:
        job_id = int(job_id)
    except (ValueError, TypeError):
        raise JobNotFound() from None
    low, high = connection.ops.integer_field_range(Job._meta.pk.get_internal_type())
    if not low <= job_id <= high:  # no row has it: the ORM's lookup would find none either
        raise JobNotFound()
    sql, params = _status_sql()
    by_marker = {_JOB_MARKER: job_id, _OWNER_MARKER: user.pk}
    found = list(Job.objects.raw(sql, [by_marker.get(value, value) for value in params]))
    if not found:
        raise JobNotFound()
    if not found[0].owner_is_active:
        raise UserInactive()
    return found[0]


# Values no job or user has, compiled in place of the two parameters: their
# positions among the compiled parameters say where the real ones go.
_JOB_MARKER, _OWNER_MARKER = -(2**62) + 1, -(2**62) + 2


@functools.cache
def _status_sql() -> tuple[str, tuple]:
    """The status read's SQL, compiled once per process. Pollers repeat this
    read more than any other, and compiling the queryset took about a quarter
    of the CPU of an answer that is a 304 (py-spy under 200 pollers, issue #14);
    executing it is the same indexed query."""
    query = (
        Job.objects.defer(*RESULT_COLUMNS)
        .annotate(owner_is_active=F("owner__is_active"))
        .filter(pk=_JOB_MARKER, owner_id=_OWNER_MARKER, deleted_at__isnull=True)
        .query
    )
    sql, params = query.get_compiler(using=Job.objects.db).as_sql()
    assert params.count(_JOB_MARKER) == 1 and params.count(_OWNER_MARKER) == 1, params
    return sql, tuple(params)


def job_status_etag(*, job: Job, queue_position: int | None, media_type: str) -> str:
    """A weak ETag of the status read, digested from what its body is made of
    rather than from the body, so that an unchanged job costs no serializer:
    every column the read loads (not only the shown ones: a retry changes
    which chunks failed, and also raises billing_round; each failure raises
    processed_chunks), the queue position (other jobs move it) and the media
    type. Weak: the browsable API's HTML is not byte for byte the same twice."""
    columns = [getattr(job, field.attname) for field in Job._meta.concrete_fields if field.name not in RESULT_COLUMNS]
    digest = hashlib.blake2b(repr((columns, queue_position, media_type)).encode(), digest_size=12).hexdigest()
    return f'W/"{digest}"'


def jobs_of(*, user, status: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.filter(owner=user, deleted_at__isnull=True).defer(*RESULT_COLUMNS)
    return jobs.filter(status=status) if status else jobs


def upload_defaults(*, user) -> tuple[str, ProcessingSettings]:
    """The model and settings of the user's most recent job: their saved choices."""
    last = (
        Job.objects.filter(owner=user)
        .defer("sentences", "sources", "vocabulary")
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None:
        return ModelPreference.BALANCED, ProcessingSettings()
    return last.model_preference, ProcessingSettings.from_job(last)


def confirm_key_used(*, user, key: str) -> bool:
    return Job.objects.filter(owner=user, confirm_key=key).exists()


@dataclass(frozen=True)
class JobResult:
    job: Job
    failed_chunks: list[int]

    @property
    def partial(self) -> bool:
        return bool(self.failed_chunks) or self.job.status != JobStatus.COMPLETED

    @property
    def sentence_count(self) -> int:
        return len(self.job.sentences)


# Sentences on one page of the job page: a 450-page book has about 24,000.
SENTENCES_PER_PAGE = 200


@dataclass(frozen=True)
class ReadingPage:
    """One page of a job's sentences, and the chapters, each with the page it starts on."""

    number: int
    page_count: int
    first: int  # the number (from 1) of the page's first sentence
    sentences: list[str]
    chapters: list[dict]

    @property
    def last(self) -> int:
        return self.first + len(self.sentences) - 1

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.page_count else None


def page_of_sentence(position: int) -> int:
    return (position - 1) // SENTENCES_PER_PAGE + 1


def reading_page(*, sentences: list[str], chapters: list[dict], page: str | int | None) -> ReadingPage:
    """Page ``page`` (from 1; out of range or not a number: the nearest page) of ``sentences``."""
    page_count = max(1, page_of_sentence(len(sentences)))
    try:
        number = min(max(1, int(page or 1)), page_count)
    except ValueError:
        number = 1
    start = (number - 1) * SENTENCES_PER_PAGE
    return ReadingPage(
        number=number,
        page_count=page_count,
        first=start + 1,
        sentences=sentences[start : start + SENTENCES_PER_PAGE],
        chapters=[{**chapter, "page": page_of_sentence(chapter["first"])} for chapter in chapters],
    )


def job_result(*, job: Job) -> JobResult:
    """The sentences of a finished job, with the chunks that failed; NotReady before."""
    if not job.is_terminal:
        raise NotReady(f"Job {job.pk} is {job.status} ({job.progress_percent}%); results come when it has finished.")
    check_results_kept(job=job)
    return JobResult(job=job, failed_chunks=failed_chunk_indexes(job=job))


def job_vocabulary(*, job: Job) -> list[Lemma]:
    """The lemmas of a finished job's sentences, summed over its succeeded
    chunks (each counted its own sentences) when it finished; NotReady before."""
    job_result(job=job)
    return [Lemma(**entry) for entry in job.vocabulary]


VOCABULARY_PAGE_SIZE = 100


@dataclass(frozen=True)
class VocabularyPage:
    job_id: int
    total: int
    proper_names: int
    page: int
    pages: int
    page_size: int
    min_count: int
    pos: list[str]
    sort: str
    lemmas: list[dict]


def vocabulary_selection(*, job: Job, pos: list[str], min_count: int, sort: str) -> tuple[list[Lemma], int]:
    """The job's lemmas that match, in order, and how many proper names the book has."""
    lemmas = job_vocabulary(job=job)
    names = sum(entry.pos == PROPER_NAME for entry in lemmas)
    return select(lemmas, pos=pos, min_count=min_count, sort=sort), names


def vocabulary_page(*, job: Job, pos: list[str], min_count: int, sort: str, page: int) -> VocabularyPage:
    chosen, names = vocabulary_selection(job=job, pos=pos, min_count=min_count, sort=sort)
    pages = max(1, -(-len(chosen) // VOCABULARY_PAGE_SIZE))
    page = min(page, pages)
    shown = chosen[(page - 1) * VOCABULARY_PAGE_SIZE : page * VOCABULARY_PAGE_SIZE]
    return VocabularyPage(
        job_id=job.pk,
        total=len(chosen),
        proper_names=names,
        page=page,
        pages=pages,
        page_size=VOCABULARY_PAGE_SIZE,
        min_count=min_count,
        pos=pos,
        sort=sort,
        lemmas=[entry.as_json() for entry in shown],
    )


def check_results_kept(*, job: Job) -> None:
    if job.results_deleted_at is not None:
        raise ResultsExpired(
            f"The sentences of job {job.pk} were deleted on {job.results_deleted_at:%Y-%m-%d},"
            f" {settings.RESULT_RETENTION_DAYS} days after it finished."
        )


def failed_chunk_indexes(*, job: Job) -> list[int]:
    return list(job.chunks.filter(status=ChunkStatus.FAILED).order_by("index").values_list("index", flat=True))


def queue_position(*, job: Job) -> int | None:
    """1 for the next job to be picked up; None once the job is running."""
    if job.status != JobStatus.PENDING or job.queued_at is None:
        return None
    ahead = Job.objects.filter(status=JobStatus.PENDING, queued_at__lt=job.queued_at).count()
    return ahead + 1


def kept_pages(*, job_id: int, first: int, last: int) -> dict[int, str]:
    """The job's pages first..last that some chunk already read (services.job_keep_pages)."""
    return dict(PageText.objects.filter(job_id=job_id, number__range=(first, last)).values_list("number", "text"))


class JSONArrayLength(Func):
    """Length of a JSON array column, counted by the database (no rows loaded)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra_context)


def job_quality(*, job: Job) -> QualityFigures:
    """The job's figures over its output so far: the sentences of its
    succeeded chunks, which is the merged result once it has finished."""
    return QualityFigures(sentences=job.sentence_count, **{name: getattr(job, name) for name in QualityFigures.SUMMED})


def chunk_summary(*, job: Job) -> dict[str, int]:
    counts = dict(job.chunks.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in ChunkStatus.values} | {"total": sum(counts.values())}


def queue_stats(*, user) -> dict:
    """The queue now, and the limits it runs under: the user's own jobs, or
    every user's for staff (other users' counts are theirs to know)."""
    jobs, chunks = Job.objects.order_by(), Chunk.objects.all()
    if not user.is_staff:
        jobs, chunks = jobs.filter(owner=user, deleted_at__isnull=True), chunks.filter(job__owner=user)
    by_status = dict(jobs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "scope": "all" if user.is_staff else "own",
        "pending": jobs.filter(status=JobStatus.PENDING, queued_at__isnull=False).count(),
        "running": chunks.filter(status=ChunkStatus.RUNNING).count(),
        "active_jobs": jobs.filter(status__in=ACTIVE_STATUSES).count(),
        "by_status": {status: by_status.get(status, 0) for status in JobStatus.values},
        "workers_alive": workers_alive(),
        "limits": {
            "max_active_jobs_per_user": settings.MAX_ACTIVE_JOBS_PER_USER,
            "max_queued_jobs": settings.MAX_QUEUED_JOBS,
            "max_pages": settings.MAX_PDF_PAGES,
            "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
            "starts_per_user": settings.RATE_LIMIT_STARTS,
        },
    }


def workers_alive() -> int:
    """Worker processes reported by running clusters (django-q2 stats in the shared cache)."""
    from django_q.status import Stat

    try:
        return sum(len(stat.workers) for stat in Stat.get_all())
    except Exception:  # a stats backend that does not answer must not break the status page
        return 0


# --- Totals for /metrics (novelproc.metrics) ---------------------------------------------
# Counted by the database at each scrape, so that every web process reports
# the same figures, whichever process did the work.


def job_counts() -> list[dict]:
    """Jobs by status and engine: rows of `status`, `engine`, `jobs`."""
    return list(Job.objects.order_by().values("status", "engine").annotate(jobs=Count("id")))


def chunk_counts() -> dict[str, int]:
    return dict(Chunk.objects.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def usage_by_model() -> list[dict]:
    """Calls and tokens of every job, by engine and model: rows of `engine`,
    `model_name`, `calls`, `input_tokens`, `output_tokens`. Job counters
    only grow (a failed chunk's tokens stay counted), and a deleted job keeps
    its row, so these are counters."""
    return list(
        Job.objects.order_by()
        .values("engine", "model_name")
        .annotate(calls=Sum("gemini_api_calls"), input_tokens=Sum("input_tokens"), output_tokens=Sum("output_tokens"))
    )


def failed_chunks_by_model() -> list[dict]:
    """Chunks failed now, by engine, model and error code (a retried chunk leaves this count)."""
    return list(
        Chunk.objects.filter(status=ChunkStatus.FAILED)
        .order_by()
        .values("job__engine", "job__model_name", "error_code")
        .annotate(chunks=Count("id"))
    )


@dataclass(frozen=True)
class StageHistogram:
    """Recorded chunks by the seconds one stage took: `cumulative[i]` chunks took at most `bounds[i]`."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    total_seconds: float


def chunk_stage_histograms(*, bounds: Sequence[float]) -> dict[str, StageHistogram]:
    """One aggregate query over the recorded chunks' `timings`, every stage
    and bucket at once; a stage a chunk did not have (slot_wait on the local
    engine) is not counted for it."""
    seconds = {f"s_{stage}": Cast(KT(f"timings__{stage}"), FloatField()) for stage in CHUNK_STAGES}
    aggregates = {}
    for stage in CHUNK_STAGES:
        field = f"s_{stage}"
        aggregates[f"{stage}_count"] = Count("pk", filter=Q(**{f"{field}__isnull": False}))
        aggregates[f"{stage}_sum"] = Sum(field)
        for i, bound in enumerate(bounds):
            aggregates[f"{stage}_le{i}"] = Count("pk", filter=Q(**{f"{field}__lte": bound}))
    row = Chunk.objects.filter(status=ChunkStatus.SUCCEEDED).annotate(**seconds).aggregate(**aggregates)
    return {
        stage: StageHistogram(
            bounds=tuple(bounds),
            cumulative=tuple(row[f"{stage}_le{i}"] for i in range(len(bounds))),
            count=row[f"{stage}_count"],
            total_seconds=row[f"{stage}_sum"] or 0.0,
        )
        for stage in CHUNK_STAGES
    }
