"""The work of one chunk, outside any transaction: read its pages (those a
neighbouring chunk already read come from the job's page store), clean them,
keep the sentences it owns, rewrite them with the job's engine.

Between steps (and before every Gemini call) it renews the chunk's lease,
which is also how it learns that the job was cancelled: then it stops before
the next expensive step, and nothing more is sent or charged. While the
engine runs (a Gemini call can hold the thread for GEMINI_TIMEOUT, retries
for longer) a heartbeat thread renews the lease too (:func:`lease_kept`), so
the sweep never hands a chunk in flight to a second worker, which would pay
for its calls again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connection, connections

from jobs import quota
from jobs.models import Engine, Job
from jobs.pipeline import engines, gemini_calls, gemini_models, local_engine, vocabulary
from jobs.pipeline.chapters import chapter_starts
from jobs.pipeline.gemini_calls import GeminiConfig, GeminiStopped
from jobs.pipeline.pdf import extract_pages
from jobs.pipeline.text import chunk_source, runs
from jobs.selectors import kept_pages
from jobs.services import chunk_heartbeat, chunk_take_call_slot, job_keep_pages, job_note_step, lease_seconds
from jobs.storage import local_path
from jobs.types import ChunkOutcome, ClaimedChunk, ProcessingSettings

logger = logging.getLogger(__name__)


class ChunkAbandoned(Exception):
    """The job was cancelled or the chunk taken over: stop without recording."""


def run_chunk(claimed: ClaimedChunk, *, heartbeat: Callable[[], bool] | None = None) -> ChunkOutcome:
    chunk, job = claimed.chunk, claimed.job
    beat = heartbeat or (lambda: chunk_heartbeat(chunk_id=chunk.pk, token=claimed.token))
    timings: dict[str, float] = {"pdf": 0.0}

    # The heartbeat runs from the first page read to the engine's last word:
    # with a short lease (seconds), a slow pypdf read must not lose it either.
    with lease_kept(beat, every=renew_every(claimed.job)) as lost:
        started = time.perf_counter()
        source = _read_source(claimed, timings)
        timings["cleaning"] = time.perf_counter() - started - timings["pdf"]
        if lost.is_set() or not beat():
            raise ChunkAbandoned()
        started = time.perf_counter()
        if job.engine == Engine.GEMINI:
            _wait_for_call_slot(claimed, beat)
            timings["slot_wait"] = time.perf_counter() - started
            started = time.perf_counter()
        try:
            engine = engine_for(job, stopped=lambda: lost.is_set() or not beat(), sections=sections_of(claimed))
            result = engines.rewrite(source, ProcessingSettings.from_job(job), engine)
        except GeminiStopped as exc:
            raise ChunkAbandoned() from exc
    timings["engine"] = time.perf_counter() - started
    started = time.perf_counter()
    lemmas = vocabulary.chunk_vocabulary([doc.text for doc in result.source_docs], result.source_docs)
    timings["vocabulary"] = time.perf_counter() - started
    timings = {step: round(seconds, 4) for step, seconds in timings.items()}
    return ChunkOutcome.of_rewrite(
        result,
        timings=timings,
        quality=dataclasses.replace(result.quality, engine_seconds=timings["engine"]),
        chapters=[start.as_json() for start in chapter_starts(source.sentences, result.sentences)],
        vocabulary=lemmas,
    )


def _read_source(claimed: ClaimedChunk, timings: dict[str, float]):
    """The chunk's cleaned text. The upload is fetched from its storage once
    for the chunk, and only if some page is not in the job's page store yet;
    its copy goes once the chunk's pages are read."""
    chunk, job = claimed.chunk, claimed.job
    with contextlib.ExitStack() as fetched:

        @functools.cache
        def pdf_path() -> str:
            return fetched.enter_context(local_path(job.pdf_file))

        def read_pages(first: int, last: int) -> list[str]:
            read_started = time.perf_counter()
            try:
                return job_pages(job, first, last, pdf_path=pdf_path)
            finally:
                timings["pdf"] += time.perf_counter() - read_started

        return chunk_source(
            read_pages,
            first=chunk.first_page,
            last=chunk.last_page,
            page_count=job.page_count,
            fix_hyphenation=job.fix_hyphenation,
        )


def job_pages(job: Job, first: int, last: int, *, pdf_path: Callable[[], str]) -> list[str]:
    """Raw texts of pages first..last: those a neighbouring chunk already read
    from the job's page store, the others from pypdf (on the file at
    `pdf_path()`), then stored for them."""
    pages = kept_pages(job_id=job.pk, first=first, last=last)
    for low, high in runs([number for number in range(first, last + 1) if number not in pages]):
        read = dict(
            zip(
                range(low, high + 1),
                extract_pages(pdf_path(), low, high, timeout=settings.PDF_EXTRACT_TIMEOUT),
                strict=True,
            )
        )
        job_keep_pages(job_id=job.pk, pages=read)
        pages.update(read)
    return [pages[number] for number in range(first, last + 1)]


def warm_up() -> None:
    """Load what chunks need (spaCy's model and lemmatizer, the hyphenation lexicon, the
    Gemini client with its TLS context) now, once, rather than in each
    worker's first chunk (see the qcluster command). Nothing here opens a
    connection, so the forked workers share no socket."""
    local_engine.load()
    vocabulary.load()
    if settings.GEMINI_API_KEY:
        gemini_calls.client_for(settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL)


def renew_every(job: Job) -> float:
    """Seconds between lease renewals: four chances before the lease runs out."""
    return lease_seconds(job) / 4


@contextlib.contextmanager
def lease_kept(beat: Callable[[], bool], *, every: float) -> Iterator[threading.Event]:
    """Call ``beat`` (renew my chunk's lease) every ``every`` seconds from a
    thread of its own while the block runs, since the block's own thread may
    be held by one call for longer than the lease. Yields an event that is
    set once ``beat`` said False (job cancelled, chunk taken over): the block
    should stop at its next check. The thread stops when the block ends."""
    done, lost = threading.Event(), threading.Event()

    def renew() -> None:
        try:
            while not done.wait(every):
                try:
                    if not beat():
                        lost.set()
                        return
                except Exception:  # a database blip: the next beat may get through before the lease ends
                    logger.warning("Lease renewal failed; trying again in %.0fs", every, exc_info=True)
        finally:
            connection.close()  # this thread's own connection, opened by beat()

    keeper = threading.Thread(target=renew, name="lease-heartbeat", daemon=True)
    keeper.start()
    try:
        yield lost
    finally:
        done.set()
        keeper.join()


def _wait_for_call_slot(claimed: ClaimedChunk, beat: Callable[[], bool]) -> None:
    """A chunk read ahead waits here, its pages ready, until fewer than
    `parallel` chunks of its job are calling Gemini; it keeps its lease."""
    renewed = time.monotonic()
    while True:
        taken = chunk_take_call_slot(chunk_id=claimed.chunk.pk, token=claimed.token)
        if taken is None:
            raise ChunkAbandoned()
        if taken:
            return
        if time.monotonic() - renewed > renew_every(claimed.job):
            if not beat():
                raise ChunkAbandoned()
            renewed = time.monotonic()
        time.sleep(settings.CALL_SLOT_POLL_SECONDS)


def sections_of(claimed: ClaimedChunk) -> int:
    """How many Gemini calls the chunk's text is sent as, at once: one per
    `section_pages` of its pages, as the job's plan says (0: one call)."""
    pages = claimed.chunk.last_page - claimed.chunk.first_page + 1
    section_pages = claimed.job.section_pages
    return math.ceil(pages / section_pages) if section_pages else 1


def engine_for(
    job: Job, *, stopped: Callable[[], bool], sections: int = 1
) -> engines.LocalEngine | engines.GeminiEngine:
    """The job's engine, with what a Gemini chunk needs from the cluster:
    the quota, the stop check, and the job's step while it waits."""
    if job.engine != Engine.GEMINI:
        return engines.LOCAL

    def note(step: str) -> None:
        job_note_step(job_id=job.pk, step=step)

    return engines.GeminiEngine(
        config=gemini_config(job),
        acquire=quota.limiter_for(settings, on_wait=note, should_stop=stopped),
        should_stop=stopped,
        on_wait=note,
        spent_models=quota.spent_quotas(settings),
        sections=sections,
        # The sections' threads ask the database (the lease, the quota) on
        # connections of their own: each closes its own as it ends.
        thread_done=connections.close_all,
    )


def gemini_config(job: Job) -> GeminiConfig:
    fallback = settings.GEMINI_FALLBACK_MODEL or None
    return GeminiConfig(
        api_key=settings.GEMINI_API_KEY,
        base_url=settings.GEMINI_BASE_URL,
        model=job.model_name,
        fallback_model=None if fallback == job.model_name else fallback,
        # Economy: the Flex tier, whose answers may wait; the lease is sized for it (lease_seconds).
        timeout_seconds=settings.GEMINI_FLEX_TIMEOUT if job.economy else settings.GEMINI_TIMEOUT,
        service_tier="flex" if job.economy else None,
        max_attempts=settings.GEMINI_MAX_ATTEMPTS,
        backoff_initial=settings.GEMINI_BACKOFF_INITIAL,
        backoff_max=settings.GEMINI_BACKOFF_MAX,
        max_output_tokens=settings.GEMINI_MAX_OUTPUT_TOKENS,
        models=gemini_models.table_with(settings.GEMINI_MODEL_TABLE),
        repair_fragments=settings.GEMINI_REPAIR_FRAGMENTS,
    )
