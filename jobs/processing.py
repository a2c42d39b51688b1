"""The work of one chunk, outside any transaction: read its pages (those a
neighbouring chunk already read come from the job's page store), clean them,
keep the sentences it owns, rewrite them with the job's engine.

Between steps (and before every Gemini call) it renews the chunk's lease,
which is also how it learns that the job was cancelled: then it stops before
the next expensive step, and nothing more is sent or charged.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

from django.conf import settings

from jobs import quota
from jobs.models import Engine, Job
from jobs.pipeline import gemini_engine, local_engine
from jobs.pipeline.figures import QualityFigures
from jobs.pipeline.pdf import extract_pages
from jobs.pipeline.text import ChunkSource, chunk_source, runs
from jobs.pipeline.words import count_words
from jobs.selectors import kept_pages
from jobs.services import chunk_heartbeat, chunk_take_call_slot, job_keep_pages, job_note_step
from jobs.types import ChunkOutcome, ClaimedChunk


class ChunkAbandoned(Exception):
    """The job was cancelled or the chunk taken over: stop without recording."""


def run_chunk(claimed: ClaimedChunk, *, heartbeat: Callable[[], bool] | None = None) -> ChunkOutcome:
    chunk, job = claimed.chunk, claimed.job
    beat = heartbeat or (lambda: chunk_heartbeat(chunk_id=chunk.pk, token=claimed.token))
    timings: dict[str, float] = {"pdf": 0.0}

    def read_pages(first: int, last: int) -> list[str]:
        started = time.perf_counter()
        try:
            return job_pages(job, first, last)
        finally:
            timings["pdf"] += time.perf_counter() - started

    started = time.perf_counter()
    source = chunk_source(
        read_pages,
        first=chunk.first_page,
        last=chunk.last_page,
        page_count=job.page_count,
        fix_hyphenation=job.fix_hyphenation,
    )
    timings["cleaning"] = time.perf_counter() - started - timings["pdf"]
    if not beat():
        raise ChunkAbandoned()
    started = time.perf_counter()
    if job.engine == Engine.GEMINI:
        _wait_for_call_slot(claimed, beat)
        timings["slot_wait"] = time.perf_counter() - started
        started = time.perf_counter()
        outcome = _rewrite_with_gemini(job, source, stopped=lambda: not beat())
    else:
        outcome = _rewrite_locally(job, source)
    timings["engine"] = time.perf_counter() - started
    timings = {step: round(seconds, 4) for step, seconds in timings.items()}
    quality = dataclasses.replace(
        outcome.quality,
        sentences=len(outcome.sentences),
        engine_seconds=timings["engine"],
        **output_figures(outcome.sentences, limit=job.sentence_length_limit),
    )
    return dataclasses.replace(outcome, timings=timings, quality=quality)


def job_pages(job: Job, first: int, last: int) -> list[str]:
    """Raw texts of pages first..last: those a neighbouring chunk already read
    from the job's page store, the others from pypdf, then stored for them."""
    pages = kept_pages(job_id=job.pk, first=first, last=last)
    for low, high in runs([number for number in range(first, last + 1) if number not in pages]):
        read = dict(
            zip(
                range(low, high + 1),
                extract_pages(job.pdf_file.path, low, high, timeout=settings.PDF_EXTRACT_TIMEOUT),
                strict=True,
            )
        )
        job_keep_pages(job_id=job.pk, pages=read)
        pages.update(read)
    return [pages[number] for number in range(first, last + 1)]


def output_figures(sentences: list[str], *, limit: int) -> dict[str, int]:
    """Words, and sentences over the limit, of what the engine returned: the
    limit is measured on the output, not assumed from the engine's promise."""
    words = [count_words(sentence) for sentence in sentences]
    return {"words": sum(words), "sentences_over_limit": sum(count > limit for count in words)}


def warm_up() -> None:
    """Load what chunks need (spaCy's model, the hyphenation lexicon, the
    Gemini client with its TLS context) now, once, rather than in each
    worker's first chunk (see the qcluster command). Nothing here opens a
    connection, so the forked workers share no socket."""
    local_engine.load()
    if settings.GEMINI_API_KEY:
        gemini_engine.client_for(settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL)


def _wait_for_call_slot(claimed: ClaimedChunk, beat: Callable[[], bool]) -> None:
    """A chunk read ahead waits here, its pages ready, until fewer than
    `parallel` chunks of its job are calling Gemini; it keeps its lease."""
    renew_every = settings.CHUNK_LEASE_SECONDS / 4
    renewed = time.monotonic()
    while True:
        taken = chunk_take_call_slot(chunk_id=claimed.chunk.pk, token=claimed.token)
        if taken is None:
            raise ChunkAbandoned()
        if taken:
            return
        if time.monotonic() - renewed > renew_every:
            if not beat():
                raise ChunkAbandoned()
            renewed = time.monotonic()
        time.sleep(settings.CALL_SLOT_POLL_SECONDS)


def _rewrite_locally(job: Job, source: ChunkSource) -> ChunkOutcome:
    result = local_engine.rewrite(
        source.sentences,
        limit=job.sentence_length_limit,
        min_length=job.min_sentence_length,
        ignore_dialogue=job.ignore_dialogue,
        preserve_formatting=job.preserve_formatting,
    )
    return ChunkOutcome(
        sentences=result.sentences,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        tokens_by_model={"local": result.input_tokens + result.output_tokens},
        quality=QualityFigures(
            pieces=result.pieces, pieces_checked=result.pieces, pieces_without_verb=result.pieces_without_verb
        ),
    )


def gemini_config(job: Job) -> gemini_engine.GeminiConfig:
    fallback = settings.GEMINI_FALLBACK_MODEL or None
    return gemini_engine.GeminiConfig(
        api_key=settings.GEMINI_API_KEY,
        base_url=settings.GEMINI_BASE_URL,
        model=job.model_name,
        fallback_model=None if fallback == job.model_name else fallback,
        timeout_seconds=settings.GEMINI_TIMEOUT,
        max_attempts=settings.GEMINI_MAX_ATTEMPTS,
        backoff_initial=settings.GEMINI_BACKOFF_INITIAL,
        backoff_max=settings.GEMINI_BACKOFF_MAX,
        max_output_tokens=settings.GEMINI_MAX_OUTPUT_TOKENS,
    )


def _rewrite_with_gemini(job: Job, source: ChunkSource, *, stopped: Callable[[], bool]) -> ChunkOutcome:
    def note(step: str) -> None:
        job_note_step(job_id=job.pk, step=step)

    try:
        result = gemini_engine.rewrite(
            source.sentences,
            context_before=source.context_before,
            context_after=source.context_after,
            limit=job.sentence_length_limit,
            min_length=job.min_sentence_length,
            ignore_dialogue=job.ignore_dialogue,
            preserve_formatting=job.preserve_formatting,
            fix_hyphenation=job.fix_hyphenation,
            config=gemini_config(job),
            acquire=quota.limiter_for(settings, on_wait=note, should_stop=stopped),
            should_stop=stopped,
            on_wait=note,
        )
    except gemini_engine.GeminiStopped as exc:
        raise ChunkAbandoned() from exc
    # Gemini rewrote every sentence, so each is a piece. Parsing them all
    # would cost this machine's CPU as much as pypdf does and slow the job
    # down (docs/benchmarks.md, Gemini overhead): a fixed sample is checked.
    pieces = [sentence for sentence in result.sentences if sentence.strip()]
    checked = verb_sample(pieces, size=settings.QUALITY_VERB_SAMPLE)
    return ChunkOutcome(
        sentences=result.sentences,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        tokens_by_model=result.tokens_by_model,
        api_calls=result.api_calls,
        quality=QualityFigures(
            pieces=len(pieces),
            pieces_checked=len(checked),
            pieces_without_verb=local_engine.count_without_verb(checked),
        ),
    )


def verb_sample(pieces: list[str], *, size: int) -> list[str]:
    """At most ``size`` pieces, evenly spread over the chunk (deterministic)."""
    return pieces[:: math.ceil(len(pieces) / size)] if len(pieces) > size else pieces
