"""Every state change of a job or chunk: one function each (STYLE.md).

Lock order: Job row, then the owner's credit Account (inside credits.services).
Slow work (pypdf, the engines) never runs here while a lock is held; chunk
tasks call `chunk_claim`, do their work, then `chunk_record` / `chunk_fail`.
Tasks are queued with `transaction.on_commit`, so a worker always finds the
rows it is given.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from credits.pricing import (
    TokenEstimate,
    credit_rates,
    credits_at,
    credits_for_usage,
    estimate_rates,
    tokens_for_characters,
    tokens_for_pages,
)
from credits.selectors import credit_balance, job_charged
from credits.services import credits_current, credits_release, credits_reserve, credits_settle, lock_account
from jobs import quota
from jobs.events import publish_job_changed
from jobs.models import (
    ACTIVE_STATUSES,
    CHUNK_DONE_STATUSES,
    TERMINAL_STATUSES,
    Chunk,
    ChunkStatus,
    Engine,
    Job,
    JobStatus,
    PageText,
    chunk_statuses_before,
)
from jobs.pipeline.chapters import book_chapters
from jobs.pipeline.chunking import ChunkPlan, LatencyInputs, plan_chunks, plan_for_latency
from jobs.pipeline.pdf import PdfInfo, PdfRejected, inspect_pdf
from jobs.pipeline.vocabulary import merge_vocabularies
from jobs.selectors import get_owned_job
from jobs.types import ChunkOutcome, ClaimedChunk, Estimate, ProcessingSettings, Reconciliation
from novelproc.errors import (
    REDIS_DOWN,
    BadFile,
    DomainError,
    IdempotencyKeyReused,
    InvalidTransition,
    QueueFull,
    ServiceUnavailable,
    TooManyActiveJobs,
)

logger = logging.getLogger(__name__)


def engine_for_new_job() -> str:
    return Engine.GEMINI if settings.GEMINI_API_KEY else Engine.LOCAL


def model_name_for(engine: str, model_preference: str) -> str:
    return settings.GEMINI_MODELS[model_preference] if engine == Engine.GEMINI else "fr_core_news_sm"


def ensure_broker_up() -> None:
    """Refuse to start work the broker cannot take now (Redis down): 503 before
    anything is stored, so the client's retry starts the job."""
    if not settings.REDIS_URL:
        return  # the ORM broker is the database itself
    from django_q.brokers import get_broker

    try:
        get_broker().ping()
    except REDIS_DOWN as exc:
        raise ServiceUnavailable(
            "The task queue (Redis) is not answering; the job was not started. Try again in a few seconds.",
            error_code="BROKER_UNAVAILABLE",
        ) from exc


def _enqueue_chunk(chunk_id: int) -> None:
    # The task goes by name: a web process that queues chunks never imports
    # the pipeline (google-genai, spaCy), which cost its first start 0.4 s.
    try:
        async_task("jobs.tasks.process_chunk", chunk_id, task_name=f"chunk-{chunk_id}")
    except REDIS_DOWN:
        # Not queued: a pending chunk goes back to "not dispatched", which the
        # next sweep (every SWEEP_SECONDS) dispatches again; a released one
        # keeps its expired lease, which the sweep hands out too.
        logger.warning("Chunk %s could not be queued (broker down); the sweep queues it again", chunk_id)
        Chunk.objects.filter(pk=chunk_id, status=ChunkStatus.PENDING).update(enqueued_at=None)


# --- Confirm ------------------------------------------------------------------------


def confirm_fingerprint(
    *,
    original_filename: str,
    page_count: int,
    model_preference: str,
    processing: ProcessingSettings,
    economy: bool = False,
) -> str:
    """What a confirm asked for, so that a replayed Idempotency-Key can tell the same request from another."""
    request = {
        "original_filename": original_filename,
        "page_count": page_count,
        "model_preference": model_preference,
        **processing.as_fields(),
        # Only when asked for: the fingerprints stored before the option existed still match.
        **({"economy": True} if economy else {}),
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def job_confirm(
    *,
    user,
    original_filename: str,
    page_count: int,
    model_preference: str,
    processing: ProcessingSettings,
    idempotency_key: str = "",
    economy: bool = False,
) -> tuple[Job, int, bool]:
    """Create a pending job and reserve its estimate. Returns (job, balance, created).
    `economy` runs its Gemini calls on the Flex tier (no meaning for the local engine).

    The same Idempotency-Key returns the same job without a second reservation."""
    lock_account(user)  # serialises this user's confirms: active-job count and balance are read under it
    fingerprint = confirm_fingerprint(
        original_filename=original_filename,
        page_count=page_count,
        model_preference=model_preference,
        processing=processing,
        economy=economy,
    )
    if idempotency_key:
        existing = Job.objects.filter(owner=user, confirm_key=idempotency_key).first()
        if existing is not None:
            # Rows confirmed before fingerprints were stored have none: they replay as before.
            if existing.confirm_fingerprint not in ("", fingerprint):
                raise IdempotencyKeyReused()
            return existing, credit_balance(user=user), False
    if page_count > settings.MAX_PDF_PAGES:
        raise DomainError(
            f"The book has {page_count} pages; the limit is {settings.MAX_PDF_PAGES}.",
            error_code="TOO_MANY_PAGES",
            status_code=422,
        )
    if Job.objects.filter(owner=user, status__in=ACTIVE_STATUSES).count() >= settings.MAX_ACTIVE_JOBS_PER_USER:
        raise TooManyActiveJobs(
            f"You already have {settings.MAX_ACTIVE_JOBS_PER_USER} active jobs; wait for one to finish or cancel one."
        )
    engine = engine_for_new_job()
    economy = economy and engine == Engine.GEMINI
    rates = estimate_rates(engine, model_preference, flex=economy)
    estimate = credits_at(tokens_for_pages(page_count).as_usage(), rates)
    job = Job.objects.create(
        owner=user,
        original_filename=original_filename[:255],
        page_count=page_count,
        confirm_key=idempotency_key,
        confirm_fingerprint=fingerprint if idempotency_key else "",
        engine=engine,
        model_preference=model_preference,
        model_name=model_name_for(engine, model_preference),
        economy=economy,
        estimate_rates=rates,
        pricing_version=settings.PRICING_VERSION,
        estimated_credits=estimate,
        current_step="Waiting for the file",
        **processing.as_fields(),
    )
    balance = credits_reserve(
        user=user, job=job, amount=estimate, idempotency_key=f"job:{job.pk}:reserve:confirm", note="Estimate at confirm"
    )
    return job, balance, True


# --- Estimate and start ---------------------------------------------------------------


def pdf_inspect_upload(path: str) -> PdfInfo:
    try:
        return inspect_pdf(path, max_pages=settings.MAX_PDF_PAGES, timeout=settings.PDF_INSPECT_TIMEOUT)
    except PdfRejected as exc:
        raise BadFile(exc.message, error_code=exc.code, status_code=exc.status) from exc


def check_upload_size(upload: UploadedFile) -> None:
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise DomainError(
            f"The file is {upload.size // (1024 * 1024)} MB; the limit is {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            error_code="FILE_TOO_LARGE",
            status_code=413,
        )
    if upload.size == 0:
        raise BadFile("The file is empty.", error_code="EMPTY_FILE", status_code=422)


# Characters of a page before its text is read (a French novel's page holds
# ~1,350 that are not spaces), and the share of a text's characters that are
# not spaces, to turn a page's characters into tokens as the estimate does.
DEFAULT_CHARS_PER_PAGE = 1350
NON_SPACE_SHARE = 0.83


def chunk_plan(page_count: int, *, engine: str, model: str = "", chars_per_page: float | None = None) -> ChunkPlan:
    """The book's chunks: on Gemini (unless CHUNK_PLAN=seeds) chosen for
    latency from the quota, the model's output speed and the book; else the
    seeds' table. The overrides (CHUNK_SIZE_OVERRIDE, GEMINI_SECTION_PAGES) win."""
    override = settings.CHUNK_SIZE_OVERRIDE
    if engine != Engine.GEMINI or settings.CHUNK_PLAN == "seeds":
        plan = plan_chunks(page_count, chunk_size=override)
    else:
        plan = plan_for_latency(page_count, latency_inputs(model, chars_per_page), chunk_size=override)
    if engine == Engine.GEMINI and settings.GEMINI_SECTION_PAGES:
        plan = dataclasses.replace(plan, section_pages=settings.GEMINI_SECTION_PAGES)
    return plan


def latency_inputs(model: str, chars_per_page: float | None) -> LatencyInputs:
    """What the latency plan weighs, from the settings, for this model and book."""
    page_tokens = (chars_per_page or DEFAULT_CHARS_PER_PAGE) / (settings.ESTIMATE_CHARS_PER_TOKEN * NON_SPACE_SHARE)
    speeds = settings.GEMINI_OUTPUT_TPS
    return LatencyInputs(
        rpm=quota.limit_for(settings.GEMINI_RPM, model),
        tpm=quota.limit_for(settings.GEMINI_TPM, model),
        rpd=quota.limit_for(settings.GEMINI_RPD, model),
        output_tps=float(speeds.get(model, speeds.get("*", 300))),
        base_seconds=settings.GEMINI_BASE_SECONDS,
        calls_per_job=settings.GEMINI_CALLS_PER_JOB,
        # The workers that are not reading ahead call (settings: CHUNK_READ_AHEAD).
        chunks_at_once=max(1, settings.Q_WORKERS - settings.CHUNK_READ_AHEAD),
        max_chunk_pages=settings.CHUNK_PLAN_MAX_PAGES,
        output_tokens_per_page=page_tokens * settings.ESTIMATE_GEMINI_OUTPUT_FACTOR,
        input_tokens_per_page=page_tokens,
        prompt_tokens_per_call=settings.ESTIMATE_GEMINI_PROMPT_TOKENS_PER_CHUNK,
    )


def book_plan(info: PdfInfo, *, engine: str, model: str) -> ChunkPlan:
    """The plan of this book, from its page count and text, on `model`."""
    return chunk_plan(info.page_count, engine=engine, model=model, chars_per_page=info.chars_per_page)


def start_estimate_tokens(
    *, info: PdfInfo, engine: str, model_preference: str, plan: ChunkPlan | None = None
) -> TokenEstimate:
    # Every call repeats the instruction and context: the estimate counts the plan's calls.
    plan = plan or book_plan(info, engine=engine, model=model_name_for(engine, model_preference))
    return tokens_for_characters(
        info.chars_per_page * info.page_count,
        engine=engine,
        chunks=plan.total_calls,
        chars_per_token=chars_per_token(info=info, engine=engine, model_preference=model_preference),
    )


def chars_per_token(*, info: PdfInfo, engine: str, model_preference: str) -> float:
    """Characters a token on this book, for its model: Gemini counts the sample
    pages' tokens where a key is set (French runs well under four characters a
    token); without a key, or when the count fails, the heuristic."""
    sample = "".join(info.sample_text.split())
    # The heuristic's characters count spaces, as tokenizers and the local engine's count do;
    # the book's characters (chars_per_page) do not.
    heuristic = settings.ESTIMATE_CHARS_PER_TOKEN * (len(sample) / len(info.sample_text) if sample else 1.0)
    if engine != Engine.GEMINI or not settings.GEMINI_API_KEY or not sample:
        return heuristic
    from jobs.pipeline import gemini_calls  # google-genai only in processes that call Gemini

    try:
        tokens = gemini_calls.count_tokens(
            api_key=settings.GEMINI_API_KEY,
            base_url=settings.GEMINI_BASE_URL,
            model=settings.GEMINI_MODELS[model_preference],
            text=info.sample_text,
            timeout_seconds=settings.ESTIMATE_COUNT_TOKENS_TIMEOUT,
        )
    except gemini_calls.CountFailed as exc:
        logger.warning("count_tokens failed (%s); the estimate uses %g characters a token", exc, heuristic)
        return heuristic
    return len(sample) / tokens


def job_estimate(*, user, upload: UploadedFile, model_preference: str, economy: bool = False) -> Estimate:
    """What the book would cost as a new job, from its real text, as `job_start`
    will reckon it. Nothing is created or reserved; the upload is read from a
    temporary copy that is removed at once."""
    check_upload_size(upload)
    info = _inspect_copy(upload)
    engine = engine_for_new_job()
    economy = economy and engine == Engine.GEMINI
    rates = estimate_rates(engine, model_preference, flex=economy)
    plan = book_plan(info, engine=engine, model=model_name_for(engine, model_preference))
    tokens = start_estimate_tokens(info=info, engine=engine, model_preference=model_preference, plan=plan)
    return Estimate(
        page_count=info.page_count,
        engine=engine,
        model_preference=model_preference,
        economy=economy,
        plan=plan,
        tokens=tokens,
        estimated_credits=credits_at(tokens.as_usage(), rates),
        credit_rates=rates,
        balance=credits_current(user=user).balance,
    )


def _inspect_copy(upload: UploadedFile) -> PdfInfo:
    if hasattr(upload, "temporary_file_path"):  # a large upload Django already spooled to disk
        return pdf_inspect_upload(upload.temporary_file_path())
    with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as copy:
        for part in upload.chunks():
            copy.write(part)
    try:
        return pdf_inspect_upload(copy.name)
    finally:
        _remove_file(copy.name)


def job_start(*, user, job_id: int, upload: UploadedFile, processing: ProcessingSettings | None = None) -> Job:
    """Store the PDF, re-estimate from its real text, plan and queue the chunks."""
    job = get_owned_job(user=user, job_id=job_id)
    _check_startable(job)
    check_upload_size(upload)
    if Job.objects.filter(status__in=ACTIVE_STATUSES, queued_at__isnull=False).count() >= settings.MAX_QUEUED_JOBS:
        raise QueueFull()
    ensure_broker_up()
    # pypdf in a child process, outside any transaction, on the upload as it
    # came: a file that is refused is never stored.
    info = _inspect_copy(upload)
    # Counted by Gemini where a key is set: a network call, made before any lock is taken.
    tokens = start_estimate_tokens(info=info, engine=job.engine, model_preference=job.model_preference)
    job.pdf_file.save(f"job-{job.pk}-{uuid.uuid4().hex[:8]}.pdf", upload, save=False)
    try:
        with transaction.atomic():
            return _start_locked(
                job_id=job.pk,
                file_name=job.pdf_file.name,
                file_size=upload.size,
                info=info,
                tokens=tokens,
                processing=processing,
            )
    except BaseException:
        job.pdf_file.storage.delete(job.pdf_file.name)
        raise


def _check_startable(job: Job) -> None:
    if job.status != JobStatus.PENDING or job.queued_at is not None:
        raise InvalidTransition(
            f"Job {job.pk} is {job.status} and was already started."
            if job.queued_at
            else f"Job {job.pk} is {job.status}.",
            error_code="ALREADY_STARTED" if job.queued_at else "INVALID_STATE",
        )


def _start_locked(
    *,
    job_id: int,
    file_name: str,
    file_size: int,
    info: PdfInfo,
    tokens: TokenEstimate,
    processing: ProcessingSettings | None,
) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    _check_startable(job)
    if processing is not None:
        for field, value in processing.as_fields().items():
            setattr(job, field, value)
    plan = book_plan(info, engine=job.engine, model=job.model_name)
    needed = credits_at(tokens.as_usage(), job.estimate_rates)
    if needed > job.estimated_credits:
        # Raises InsufficientCredits: the transaction rolls back and nothing starts.
        credits_reserve(
            user=job.owner,
            job=job,
            amount=needed - job.estimated_credits,
            idempotency_key=f"job:{job.pk}:reserve:start",
            note="Top-up from the real PDF",
        )
        job.estimated_credits = needed
    elif needed < job.estimated_credits:
        # The confirm reckoned from the page count alone; the book's own text
        # says what it will cost, so the rest is the user's again now, not at the end.
        job.estimated_credits -= credits_release(
            user=job.owner,
            job=job,
            amount=job.estimated_credits - needed,
            idempotency_key=f"job:{job.pk}:release:start",
            note="Estimate from the real PDF",
        )
    now = timezone.now()
    job.pdf_file.name = file_name
    job.file_size = file_size
    job.page_count = info.page_count
    job.chunk_size, job.parallel, job.strategy = (
        plan.chunk_size,
        settings.CHUNK_PARALLEL_OVERRIDE or plan.parallel,
        plan.strategy,
    )
    job.section_pages, job.calls_in_flight, job.expected_seconds = (
        plan.section_pages,
        plan.calls_in_flight,
        plan.expected_seconds,
    )
    job.total_chunks = plan.total_chunks
    job.queued_at = now
    job.task_id = f"job_{job.pk}_{now.timestamp():.6f}"
    job.current_step = f"Queued: {job.total_chunks} chunks"
    job.save()
    Chunk.objects.bulk_create(
        Chunk(
            job=job,
            index=i,
            first_page=first,
            last_page=last,
            overlap_pages=0 if last == info.page_count else plan.overlap_pages,
        )
        for i, (first, last) in enumerate(plan.ranges)
    )
    _dispatch_chunks(job)
    publish_job_changed(job.pk)
    return job


def _remove_file(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


# --- Chunks --------------------------------------------------------------------------


def _dispatch_chunks(job: Job) -> int:
    """Queue the next pending chunks. Call with the job row locked.

    At most `job.parallel` chunks of a job run their engine at once. On
    Gemini a chunk spends most of its time waiting on the network, so
    reading pages and calling are separate stages: up to `CHUNK_READ_AHEAD`
    chunks read and clean their pages, then wait for one of the `parallel`
    call slots (`chunk_take_call_slot`), so a free slot never waits for
    pypdf, and the few chunks that read at once each get a core."""
    in_flight = job.chunks.filter(
        Q(status=ChunkStatus.RUNNING) | Q(status=ChunkStatus.PENDING, enqueued_at__isnull=False)
    )
    if job.engine == Engine.GEMINI:
        slots = settings.CHUNK_READ_AHEAD - in_flight.filter(call_slot_since__isnull=True).count()
    else:
        slots = job.parallel - in_flight.count()
    if slots <= 0:
        return 0
    ids = list(
        job.chunks.filter(status=ChunkStatus.PENDING, enqueued_at__isnull=True)
        .order_by("index")
        .values_list("pk", flat=True)[:slots]
    )
    _requeue(ids)
    return len(ids)


def _requeue(chunk_ids: list[int]) -> None:
    if not chunk_ids:
        return
    Chunk.objects.filter(pk__in=chunk_ids).update(enqueued_at=timezone.now())
    for chunk_id in chunk_ids:
        # robust: a broker that fails after the commit must not turn a started
        # job into a 500; the chunk stays pending and the sweep queues it again.
        transaction.on_commit(partial(_enqueue_chunk, chunk_id), robust=True)


# What a chunk leaving `running` gives up: its lease and its call slot.
LEFT_RUNNING = {"lease_expires_at": None, "call_slot_since": None}


def _move_chunks(chunks: QuerySet[Chunk], to: str, **fields) -> int:
    """The one way a chunk's status changes, in SQL: only those of `chunks`
    whose status may become `to` (CHUNK_TRANSITIONS) move. A chunk that is
    not running holds no lease and no call slot; one that is done is stamped
    `finished_at`. Returns how many moved."""
    if to != ChunkStatus.RUNNING:
        fields = {**LEFT_RUNNING, **fields}
    if to in CHUNK_DONE_STATUSES:
        fields.setdefault("finished_at", timezone.now())
    return chunks.filter(status__in=chunk_statuses_before(to)).update(status=to, **fields)


def lease_seconds(job: Job) -> int:
    """How long a chunk of `job` is held without renewal: an economy job's Flex
    calls may take GEMINI_FLEX_TIMEOUT, and its lease outlives two of them."""
    return settings.CHUNK_LEASE_FLEX_SECONDS if job.economy else settings.CHUNK_LEASE_SECONDS


def _lease_deadline(seconds: int):
    return timezone.now() + timedelta(seconds=seconds)


@transaction.atomic
def chunk_claim(*, chunk_id: int) -> ClaimedChunk | None:
    """Take a chunk for processing, or None if it is not ours to take: already
    done, held under a live lease, out of attempts, or its job is not active.
    A duplicate delivery of the same task therefore does nothing."""
    job_id = Chunk.objects.filter(pk=chunk_id).values_list("job_id", flat=True).first()
    # The job row lock serialises claims with job_cancel: a chunk is claimed
    # wholly before a cancel, or sees the cancel and is not claimed at all.
    job = Job.objects.select_for_update().filter(pk=job_id, status__in=ACTIVE_STATUSES).first() if job_id else None
    if job is None:
        return None
    now = timezone.now()
    token = uuid.uuid4()
    claimable = Q(status=ChunkStatus.PENDING) | Q(status=ChunkStatus.RUNNING, lease_expires_at__lt=now)
    taken = _move_chunks(
        Chunk.objects.filter(claimable, pk=chunk_id, attempts__lt=settings.CHUNK_MAX_ATTEMPTS),
        ChunkStatus.RUNNING,
        claim_token=token,
        lease_expires_at=_lease_deadline(lease_seconds(job)),
        call_slot_since=None,
        attempts=F("attempts") + 1,
        started_at=now,
    )
    if not taken:
        return None
    chunk = Chunk.objects.get(pk=chunk_id)
    Job.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(status=JobStatus.PROCESSING, started_at=now)
    Job.objects.filter(pk=job.pk).update(current_step=f"Processing chunk {chunk.index + 1}/{job.total_chunks}")
    job.refresh_from_db()
    publish_job_changed(job.pk)
    return ClaimedChunk(chunk=chunk, job=job, token=token)


def chunk_heartbeat(*, chunk_id: int, token: uuid.UUID) -> bool:
    """Extend the lease (by its job's lease_seconds); False when the work should
    stop (job cancelled, or the chunk was taken over after our lease expired)."""
    job = Job.objects.filter(chunks__pk=chunk_id).only("economy").first()
    return job is not None and bool(
        Chunk.objects.filter(
            pk=chunk_id, claim_token=token, status=ChunkStatus.RUNNING, job__status=JobStatus.PROCESSING
        ).update(lease_expires_at=_lease_deadline(lease_seconds(job)))
    )


@transaction.atomic
def chunk_take_call_slot(*, chunk_id: int, token: uuid.UUID) -> bool | None:
    """Take one of the job's `parallel` Gemini call slots: True when taken (or
    already held), False when all are busy (try again soon), None when the
    chunk is no longer ours or its job stopped. A slot whose holder's lease
    expired counts as free, so a killed worker cannot keep one."""
    job_id = Chunk.objects.filter(pk=chunk_id).values_list("job_id", flat=True).first()
    job = Job.objects.select_for_update().filter(pk=job_id, status=JobStatus.PROCESSING).first() if job_id else None
    if job is None:
        return None
    mine = Chunk.objects.filter(pk=chunk_id, claim_token=token, status=ChunkStatus.RUNNING)
    held = list(mine.values_list("call_slot_since", flat=True))
    if not held:
        return None
    if held[0] is not None:
        return True
    now = timezone.now()
    busy = job.chunks.filter(
        status=ChunkStatus.RUNNING, call_slot_since__isnull=False, lease_expires_at__gte=now
    ).count()
    if busy >= job.parallel:
        return False
    mine.update(call_slot_since=now, lease_expires_at=_lease_deadline(lease_seconds(job)))
    _dispatch_chunks(job)  # one reader fewer: the next chunk may start reading
    return True


def job_keep_pages(*, job_id: int, pages: dict[int, str]) -> None:
    """Keep pages a chunk read for its neighbours. Two chunks may read the
    same page at once; both texts are pypdf's answer for it, so the first
    one stored stays and the other is dropped."""
    PageText.objects.bulk_create(
        [PageText(job_id=job_id, number=number, text=text) for number, text in pages.items()], ignore_conflicts=True
    )


def job_note_step(*, job_id: int, step: str) -> None:
    """What the job is doing now, as shown to the user (e.g. waiting for quota)."""
    if Job.objects.filter(pk=job_id, status=JobStatus.PROCESSING).update(current_step=step[:120]):
        publish_job_changed(job_id)


@transaction.atomic
@transaction.atomic
def chunk_release(*, chunk_id: int, token: uuid.UUID) -> bool:
    """Give a claimed chunk back after a transient failure (the database or
    the broker dropped out under the task): its lease ends now and it is
    queued again at once, and this attempt does not count against
    CHUNK_MAX_ATTEMPTS, since no worker was lost."""
    released = Chunk.objects.filter(pk=chunk_id, claim_token=token, status=ChunkStatus.RUNNING).update(
        lease_expires_at=timezone.now(), call_slot_since=None, attempts=F("attempts") - 1
    )
    if released:
        _requeue([chunk_id])
    return bool(released)


def chunk_abandon(*, chunk_id: int, token: uuid.UUID) -> None:
    """A task stopped without a result (its job was cancelled or its lease
    lost): a chunk of a finished job is closed now rather than at lease expiry."""
    _lock_chunk_for_finish(chunk_id, token)


def _lock_chunk_for_finish(chunk_id: int, token: uuid.UUID | None) -> tuple[Job, Chunk] | None:
    job_id = Chunk.objects.filter(pk=chunk_id).values_list("job_id", flat=True).first()
    if job_id is None:
        return None
    job = Job.objects.select_for_update().get(pk=job_id)
    chunk = Chunk.objects.select_for_update().get(pk=chunk_id)
    if chunk.status != ChunkStatus.RUNNING or (token is not None and chunk.claim_token != token):
        return None  # someone else holds (or finished) this chunk: record nothing
    if job.status != JobStatus.PROCESSING:
        # Cancelled while we worked: the work is dropped and never charged.
        _move_chunks(Chunk.objects.filter(pk=chunk.pk), ChunkStatus.CANCELLED)
        return None
    return job, chunk


@transaction.atomic
def chunk_record(*, chunk_id: int, token: uuid.UUID, outcome: ChunkOutcome) -> bool:
    """Store a chunk's sentences and usage; the last chunk completes the job."""
    locked = _lock_chunk_for_finish(chunk_id, token)
    if locked is None:
        return False
    job, chunk = locked
    _move_chunks(
        Chunk.objects.filter(pk=chunk.pk),
        ChunkStatus.SUCCEEDED,
        sentences=outcome.sentences,
        chapters=outcome.chapters,
        sources=outcome.sources,
        vocabulary=outcome.vocabulary,
        input_tokens=outcome.input_tokens,
        output_tokens=outcome.output_tokens,
        api_calls=outcome.api_calls,
        tokens_by_model=outcome.tokens_by_model,
        usage_by_model=outcome.usage_by_model,
        finish_reasons=outcome.finish_reasons,
        sentences_by_engine=outcome.sentences_by_engine,
        written_by=outcome.engine,
        timings=outcome.timings,
        **outcome.quality.counted(),
        error="",
        error_code="",
    )
    tokens = outcome.input_tokens + outcome.output_tokens
    _count_chunk_done(
        job,
        input_tokens=outcome.input_tokens,
        output_tokens=outcome.output_tokens,
        total=tokens,
        api_calls=outcome.api_calls,
        failed=0,
        figures={**outcome.quality.summed(), "sentence_count": len(outcome.sentences)},
    )
    _note_models_used(job, outcome.models_used)
    _after_chunk_done(job)
    return True


def _note_models_used(job: Job, models: list[str]) -> None:
    """Add a chunk's models to the job's (the job row is locked by the caller)."""
    used = Job.objects.filter(pk=job.pk).values_list("models_used", flat=True).get()
    merged = sorted(set(used) | set(models))
    if merged != sorted(used):
        Job.objects.filter(pk=job.pk).update(models_used=merged)


@transaction.atomic
def chunk_fail(
    *,
    chunk_id: int,
    token: uuid.UUID | None,
    error_code: str,
    message: str,
    api_calls: int = 0,
    input_tokens: int = 0,
    output_tokens: int = 0,
) -> bool:
    """Mark a chunk failed for good; the job goes on with the others. Its
    calls and tokens are counted as used but never charged.
    `token=None` is the sweep failing a chunk whose workers kept dying."""
    locked = _lock_chunk_for_finish(chunk_id, token)
    if locked is None:
        return False
    job, chunk = locked
    _move_chunks(
        Chunk.objects.filter(pk=chunk.pk),
        ChunkStatus.FAILED,
        error_code=error_code[:40],
        error=message[:2000],
        api_calls=api_calls,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
    )
    _count_chunk_done(
        job,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total=input_tokens + output_tokens,
        api_calls=api_calls,
        failed=1,
    )
    _after_chunk_done(job)
    return True


def _count_chunk_done(
    job: Job,
    *,
    input_tokens: int,
    output_tokens: int,
    total: int,
    api_calls: int,
    failed: int,
    figures: dict[str, float] | None = None,
) -> None:
    """Move the job's counters. `figures` (quality and engine time) come only
    from a succeeded chunk: a chunk succeeds once and never runs again, so a
    retry of failed chunks or a duplicate delivery cannot count them twice."""
    Job.objects.filter(pk=job.pk).update(
        processed_chunks=F("processed_chunks") + 1,
        failed_chunk_count=F("failed_chunk_count") + failed,
        progress_percent=(F("processed_chunks") + 1) * 100 / F("total_chunks"),
        input_tokens=F("input_tokens") + input_tokens,
        output_tokens=F("output_tokens") + output_tokens,
        total_tokens=F("total_tokens") + total,
        gemini_api_calls=F("gemini_api_calls") + api_calls,
        **{name: F(name) + value for name, value in (figures or {}).items()},
    )


def _after_chunk_done(job: Job) -> None:
    publish_job_changed(job.pk)
    job.refresh_from_db()
    if job.chunks.exclude(status__in=[ChunkStatus.SUCCEEDED, ChunkStatus.FAILED, ChunkStatus.CANCELLED]).exists():
        _dispatch_chunks(job)
        return
    _job_complete(job)


# --- Terminal states -----------------------------------------------------------------


def _merge_results(job: Job) -> None:
    """The job's sentences, their sources and chapters from its succeeded
    chunks, in order (each chunk owns its sentences: concatenating them loses
    and repeats nothing). A chunk whose engine gave no sources has "" for
    each, so that `sources` stays parallel to `sentences`."""
    chunks = list(
        job.chunks.filter(status=ChunkStatus.SUCCEEDED)
        .order_by("index")
        .values_list("sentences", "chapters", "sources", "vocabulary")
    )
    job.sentences = [sentence for sentences, *_ in chunks for sentence in sentences]
    job.sources = [
        source
        for sentences, _, sources, _ in chunks
        for source in (sources if len(sources) == len(sentences) else [""] * len(sentences))
    ]
    job.sentence_count = len(job.sentences)
    job.chapters = [
        chapter.as_json() for chapter in book_chapters([(len(sentences), starts) for sentences, starts, *_ in chunks])
    ]
    job.vocabulary = [asdict(entry) for entry in merge_vocabularies(row[3] for row in chunks)]


def _job_complete(job: Job) -> None:
    """All chunks are done. The rule: a job with at least one succeeded chunk is
    `completed` (failed chunks listed, partial results); with none it is `failed`.
    Called with the job row locked, by whoever finished the last chunk."""
    succeeded = job.chunks.filter(status=ChunkStatus.SUCCEEDED).count()
    status = JobStatus.COMPLETED if succeeded else JobStatus.FAILED
    job.check_transition(status)
    now = timezone.now()
    job.status = status
    _merge_results(job)
    job.completed_at = now
    job.progress_percent = 100
    job.current_step = "Completed" if succeeded else "Failed"
    if job.started_at:
        job.processing_time_seconds = (now - job.started_at).total_seconds()
    if not succeeded:
        first_error = job.chunks.filter(status=ChunkStatus.FAILED).values_list("error_code", "error").first() or (
            "ALL_CHUNKS_FAILED",
            "",
        )
        job.error_code = "ALL_CHUNKS_FAILED"
        job.error_message = f"Every chunk failed; first error: {first_error[0]} {first_error[1]}".strip()
    # Only what changes here: the counters moved in SQL and are not written back.
    job.save(
        update_fields=[
            "status",
            "sentences",
            "sources",
            "sentence_count",
            "chapters",
            "vocabulary",
            "completed_at",
            "progress_percent",
            "current_step",
            "processing_time_seconds",
            "error_code",
            "error_message",
        ]
    )
    _settle(job)


def _settle(job: Job) -> Reconciliation:
    """Charge the tokens of succeeded chunks, each model at its own rate (a
    fallback model bills at its own), never more than reserved; release the
    rest. Once per billing round (ledger keys enforce it)."""
    if job.settled_round >= job.billing_round:
        return _reconciliation(job)
    used = billed_usage(
        job.chunks.filter(status=ChunkStatus.SUCCEEDED).values_list("tokens_by_model", "usage_by_model")
    )
    already = job_charged(job=job)
    credits_settle(
        user=job.owner,
        job=job,
        charge=credits_for_usage(used, flex=job.economy) - already,
        key_prefix=f"job:{job.pk}:r{job.billing_round}",
    )
    job.actual_credits = job_charged(job=job)
    job.settled_round = job.billing_round
    job.credit_rates = {model: credit_rates(model, flex=job.economy) for model in sorted(used)}
    Job.objects.filter(pk=job.pk).update(
        actual_credits=job.actual_credits, settled_round=job.settled_round, credit_rates=job.credit_rates
    )
    return _reconciliation(job)


def billed_usage(chunks) -> dict[str, dict[str, int]]:
    """Input and output tokens billed per model over (tokens_by_model, usage_by_model) rows: a
    Gemini model's split is what it reported; a total without one (the local engine, old rows)
    is billed as output, the dearer side."""
    used: dict[str, dict[str, int]] = {}
    for billed, reported in chunks:
        for model, total in billed.items():
            split = (reported or {}).get(model)
            if not split or split.get("input", 0) + split.get("output", 0) != total:
                split = {"input": 0, "output": total}
            into = used.setdefault(model, {"input": 0, "output": 0})
            into["input"] += split.get("input", 0)
            into["output"] += split.get("output", 0)
    return used


def _reconciliation(job: Job) -> Reconciliation:
    actual = job.actual_credits or 0
    return Reconciliation(
        job=job,
        estimated_credits=job.estimated_credits,
        actual_credits=actual,
        refunded=max(0, job.estimated_credits - actual),
    )


@transaction.atomic
def job_cancel(*, user, job_id: int) -> Reconciliation:
    """Stop a pending or processing job: finished chunks are charged, every
    other credit is released now. Running chunks see the flag and drop their work."""
    job = _lock_owned_job(user=user, job_id=job_id)
    job.check_transition(JobStatus.CANCELLED)
    now = timezone.now()
    _move_chunks(job.chunks.filter(status=ChunkStatus.PENDING), ChunkStatus.CANCELLED, finished_at=now)
    job.status = JobStatus.CANCELLED
    job.cancelled_at = now
    job.current_step = "Cancelled"
    _merge_results(job)
    if job.started_at:
        job.processing_time_seconds = (now - job.started_at).total_seconds()
    job.save(
        update_fields=[
            "status",
            "cancelled_at",
            "current_step",
            "sentences",
            "sources",
            "sentence_count",
            "chapters",
            "vocabulary",
            "processing_time_seconds",
        ]
    )
    publish_job_changed(job.pk)
    return _settle(job)


@transaction.atomic
def job_finalize(*, user, job_id: int) -> Reconciliation:
    """The reconciliation of a finished job. Idempotent: settlement already
    happened when the job reached its terminal state; this reports it."""
    job = _lock_owned_job(user=user, job_id=job_id)
    if not job.is_terminal:
        raise InvalidTransition(f"Job {job.pk} is {job.status}; it can be finalized once it has finished.")
    return _settle(job)


@transaction.atomic
def job_retry_failed_chunks(*, user, job_id: int) -> Job:
    """Reopen a finished job to run its failed chunks again, reserving what they may cost."""
    job = _lock_owned_job(user=user, job_id=job_id)
    failed = list(job.chunks.filter(status=ChunkStatus.FAILED))
    if not failed:
        raise InvalidTransition(f"Job {job.pk} has no failed chunks to retry.")
    job.check_transition(JobStatus.PROCESSING)
    if job.results_deleted_at:
        raise InvalidTransition(
            "The sentences of this job were deleted after the retention period.", error_code="RESULTS_EXPIRED"
        )
    if not job.pdf_file or job.file_deleted_at:
        raise InvalidTransition(
            "The uploaded file of this job was deleted after its retention period; upload the book again.",
            error_code="FILE_EXPIRED",
        )
    pages = sum(c.last_page - c.first_page + 1 for c in failed)
    amount = credits_at(tokens_for_pages(pages).as_usage(), job.estimate_rates)
    credits_reserve(
        user=job.owner,
        job=job,
        amount=amount,
        idempotency_key=f"job:{job.pk}:reserve:r{job.billing_round + 1}",
        note=f"Retry of {len(failed)} failed chunks",
    )
    retried = _move_chunks(
        job.chunks.filter(pk__in=[c.pk for c in failed]),
        ChunkStatus.PENDING,
        attempts=0,
        enqueued_at=None,
        claim_token=None,
        error="",
        error_code="",
    )
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.PROCESSING,
        billing_round=F("billing_round") + 1,
        estimated_credits=F("estimated_credits") + amount,
        processed_chunks=F("processed_chunks") - retried,
        failed_chunk_count=F("failed_chunk_count") - retried,
        progress_percent=(F("processed_chunks") - retried) * 100 / F("total_chunks"),
        completed_at=None,
        error_code="",
        error_message="",
        current_step=f"Retrying {retried} failed chunks",
    )
    job.refresh_from_db()
    _dispatch_chunks(job)
    publish_job_changed(job.pk)
    return job


@transaction.atomic
def job_delete(*, user, job_id: int) -> None:
    """Delete a finished job for its owner: its file, sentences and chunks go,
    the row stays (hidden) because the ledger's rows point at it. 409 while it runs."""
    job = _lock_owned_job(user=user, job_id=job_id)
    if not job.is_terminal:
        raise InvalidTransition(f"Job {job.pk} is {job.status}; cancel it or wait for it to finish before deleting it.")
    job_delete_upload(job=job)
    job.chunks.all().delete()
    Job.objects.filter(pk=job.pk).update(
        sentences=[], sources=[], chapters=[], vocabulary=[], deleted_at=timezone.now()
    )


def _lock_owned_job(*, user, job_id: int) -> Job:
    return Job.objects.select_for_update().get(pk=get_owned_job(user=user, job_id=job_id).pk)


# --- The sweep ---------------------------------------------------------------------------


@dataclass
class SweepReport:
    requeued: int = 0
    failed: int = 0
    completed: int = 0
    files_deleted: int = 0
    results_deleted: int = 0


def sweep_stale_work() -> SweepReport:
    """Find work that was lost and hand it out again (SPEC §7): chunks whose
    lease expired (worker killed, task dropped by the Redis broker), chunks
    queued long ago but never claimed, jobs with free slots, jobs left with
    every chunk done. Each repair is a short transaction of its own."""
    report = SweepReport()
    now = timezone.now()
    # A chunk still running for a finished job was dropped by its task (or the
    # task died): close it now; a late record finds it closed and records nothing.
    _move_chunks(
        Chunk.objects.filter(status=ChunkStatus.RUNNING, job__status__in=TERMINAL_STATUSES),
        ChunkStatus.CANCELLED,
        finished_at=now,
    )
    expired = Chunk.objects.filter(status=ChunkStatus.RUNNING, lease_expires_at__lt=now).values_list("pk", "attempts")
    for chunk_id, attempts in expired:
        if attempts >= settings.CHUNK_MAX_ATTEMPTS:
            report.failed += chunk_fail(
                chunk_id=chunk_id,
                token=None,
                error_code="WORKER_LOST",
                message=f"The worker processing this chunk stopped {attempts} times.",
            )
        else:
            with transaction.atomic():
                report.requeued += _requeue_expired(chunk_id)
    stale = now - timedelta(seconds=settings.CHUNK_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            Chunk.objects.filter(
                status=ChunkStatus.PENDING, enqueued_at__lt=stale, job__status__in=ACTIVE_STATUSES
            ).values_list("pk", flat=True)
        )
        _requeue(ids)
        report.requeued += len(ids)
    for job_id in Job.objects.filter(status__in=ACTIVE_STATUSES, queued_at__isnull=False).values_list("pk", flat=True):
        report.completed += _sweep_job(job_id)
    report.files_deleted = _delete_expired_uploads(now)
    report.results_deleted = _delete_expired_results(now)
    return report


def _requeue_expired(chunk_id: int) -> int:
    chunk = Chunk.objects.select_related("job").filter(pk=chunk_id, status=ChunkStatus.RUNNING).first()
    if chunk is None:
        return 0
    if chunk.job.status in TERMINAL_STATUSES:
        _move_chunks(Chunk.objects.filter(pk=chunk_id, status=ChunkStatus.RUNNING), ChunkStatus.CANCELLED)
        return 0
    _requeue([chunk_id])
    return 1


@transaction.atomic
def _sweep_job(job_id: int) -> int:
    job = Job.objects.select_for_update().get(pk=job_id)
    if job.status not in ACTIVE_STATUSES:
        return 0
    if job.chunks.exclude(status__in=[ChunkStatus.SUCCEEDED, ChunkStatus.FAILED, ChunkStatus.CANCELLED]).exists():
        _dispatch_chunks(job)
        return 0
    if job.status == JobStatus.PENDING:
        job.status = (
            JobStatus.PROCESSING
        )  # every chunk finished without the claim having marked it (cannot normally happen)
    _job_complete(job)
    return 1


def _delete_expired_uploads(now) -> int:
    cutoff = now - timedelta(hours=settings.UPLOAD_RETENTION_HOURS)
    deleted = 0
    for job in Job.objects.filter(
        status__in=TERMINAL_STATUSES, file_deleted_at__isnull=True, queued_at__lt=cutoff
    ).exclude(pdf_file=""):
        job_delete_upload(job=job)
        deleted += 1
    return deleted


def _delete_expired_results(now) -> int:
    if not settings.RESULT_RETENTION_DAYS:
        return 0
    cutoff = now - timedelta(days=settings.RESULT_RETENTION_DAYS)
    finished_before = Q(completed_at__lt=cutoff) | Q(completed_at__isnull=True, cancelled_at__lt=cutoff)
    expired = Job.objects.filter(finished_before, status__in=TERMINAL_STATUSES, results_deleted_at__isnull=True)
    return sum(job_delete_results(job_id=job_id) for job_id in expired.values_list("pk", flat=True))


@transaction.atomic
def job_delete_results(*, job_id: int) -> bool:
    """Delete a finished job's sentences (retention): the job's and its chunks'.
    The rows stay, with their counters and timings (metrics, the ledger's
    rows point at the job), and so does the record that they were deleted."""
    job = Job.objects.select_for_update().get(pk=job_id)
    if not job.is_terminal or job.results_deleted_at is not None:
        return False  # reopened by a retry, or already done by another sweep
    job_delete_upload(job=job)
    job.chunks.update(sentences=[], sources=[], chapters=[], vocabulary={})
    Job.objects.filter(pk=job.pk).update(
        sentences=[], sources=[], chapters=[], vocabulary=[], results_deleted_at=timezone.now()
    )
    return True


def job_delete_upload(*, job: Job) -> None:
    """Remove the uploaded PDF and its kept pages (retention); results and ledger stay."""
    if job.pdf_file:
        job.pdf_file.delete(save=False)
    PageText.objects.filter(job=job).delete()
    Job.objects.filter(pk=job.pk).update(pdf_file="", file_deleted_at=timezone.now())
