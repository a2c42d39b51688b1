"""The work of one chunk, outside any transaction: read its pages (those a
neighbouring chunk already read come from the job's page store), clean them,
keep the sentences it owns, rewrite them with the job's engine.

Between steps (and before every Gemini call) it renews the chunk's lease,
which is also how it learns that the job was cancelled: then it stops before
the next expensive step, and nothing more is sent or charged. While the
engine runs (a Gemini call can hold the thread for GEMINI_TIMEOUT, retries
for longer) a keeper thread renews the lease too (:class:`LeaseKeeper`), so
the sweep never hands a chunk in flight to a second worker, which would pay
for its calls again.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

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
    with LeaseKeeper(beat, every=renew_every(claimed.job)) as keeper:
        started = time.perf_counter()
        source = _read_source(claimed, timings)
        timings["cleaning"] = time.perf_counter() - started - timings["pdf"]
        if keeper.lost.is_set() or not beat():
            raise ChunkAbandoned()
        started = time.perf_counter()
        if job.engine == Engine.GEMINI:
            _wait_for_call_slot(claimed, beat)
            timings["slot_wait"] = time.perf_counter() - started
            started = time.perf_counter()
        try:
            engine = engine_for(
                job,
                stopped=lambda: keeper.lost.is_set() or not beat(),
                sections=sections_of(claimed),
                ask=keeper.ask,
            )
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


class LeaseKeeper:
    """The chunk's second thread and its one database connection: it renews
    the lease every ``every`` seconds while the chunk runs, and runs, one at a
    time, the database calls of the chunk's Gemini section threads
    (:meth:`ask`). Without it each section in flight held a connection of its
    own until its call ended, and a worker's connections grew with the calls
    in flight (up to GEMINI_CALLS_PER_JOB) past PostgreSQL's limit.

    ``lost`` is set once ``beat`` said False (job cancelled, chunk taken
    over): the chunk should stop at its next check. The keeper then stops
    renewing but goes on answering until the chunk's block ends."""

    def __init__(self, beat: Callable[[], bool], *, every: float) -> None:
        self.lost = threading.Event()
        self._beat, self._every = beat, every
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._keep, name="lease-keeper", daemon=True)

    def ask(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` run on the keeper's thread, its result
        or its exception returned to the caller. Once the chunk's block has
        ended (a dropped section thread finishing its call late), it runs in
        the caller's thread, whose connection ``connections.close_all`` at
        the thread's end closes."""
        answer: concurrent.futures.Future | None = None
        with self._lock:
            # (The keeper's own thread never waits on itself.)
            if not self._closed and threading.current_thread() is not self._thread:
                answer = concurrent.futures.Future()
                self._requests.put((answer, function, args, kwargs))
        if answer is None:
            return function(*args, **kwargs)
        return answer.result()

    def _keep(self) -> None:
        due = time.monotonic() + self._every
        try:
            while True:
                if time.monotonic() >= due:
                    self._renew()
                    due = time.monotonic() + self._every
                try:
                    request = self._requests.get(timeout=max(0.0, due - time.monotonic()))
                except queue.Empty:
                    continue
                if request is None:
                    return
                answer, function, args, kwargs = request
                try:
                    answer.set_result(function(*args, **kwargs))
                except BaseException as error:  # the caller's to handle, in its own thread
                    answer.set_exception(error)
        finally:
            connection.close()  # this thread's own connection

    def _renew(self) -> None:
        if self.lost.is_set():
            return
        try:
            if not self._beat():
                self.lost.set()
        except Exception:  # a database blip: the next beat may get through before the lease ends
            logger.warning("Lease renewal failed; trying again in %.0fs", self._every, exc_info=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._closed = True
            self._requests.put(None)  # after every request already asked: each is answered
        self._thread.join()


class Asked:
    """``target``'s methods, each run through ``ask`` (the chunk's keeper)."""

    def __init__(self, target: Any, ask: Callable[..., Any]) -> None:
        self._target, self._ask = target, ask

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._target, name)
        return functools.partial(self._ask, method)


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
    job: Job,
    *,
    stopped: Callable[[], bool],
    sections: int = 1,
    ask: Callable[..., Any] = lambda function, *args, **kwargs: function(*args, **kwargs),
) -> engines.LocalEngine | engines.GeminiEngine:
    """The job's engine, with what a Gemini chunk needs from the cluster:
    the quota, the stop check, and the job's step while it waits. Every
    one of them that reaches the database (or the quota's store) goes
    through ``ask``: the chunk's keeper, so the chunk's section threads
    share its one connection (see LeaseKeeper)."""
    if job.engine != Engine.GEMINI:
        return engines.LOCAL

    def should_stop() -> bool:
        return ask(stopped)

    def note(step: str) -> None:
        ask(job_note_step, job_id=job.pk, step=step)

    return engines.GeminiEngine(
        config=gemini_config(job),
        acquire=quota.limiter_for(
            settings, on_wait=note, should_stop=should_stop, store=Asked(quota.default_store(settings), ask)
        ),
        should_stop=should_stop,
        on_wait=note,
        spent_models=Asked(quota.spent_quotas(settings), ask),
        sections=sections,
        # Only a section thread that outlived its chunk (a call dropped at a
        # cancel) asks the database on a connection of its own: closed here.
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
