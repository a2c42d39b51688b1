"""The work of one chunk, outside any transaction: read its pages, clean them,
keep the sentences it owns, rewrite them with the engine.

Between steps it renews the chunk's lease, which is also how it learns that
the job was cancelled: then it stops before the next expensive step.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

from jobs.pipeline import local_engine
from jobs.pipeline.pdf import extract_pages
from jobs.pipeline.text import chunk_source
from jobs.services import ChunkOutcome, ClaimedChunk, chunk_heartbeat


class ChunkAbandoned(Exception):
    """The job was cancelled or the chunk taken over: stop without recording."""


def run_chunk(claimed: ClaimedChunk, *, heartbeat: Callable[[], bool] | None = None) -> ChunkOutcome:
    chunk, job = claimed.chunk, claimed.job
    beat = heartbeat or (lambda: chunk_heartbeat(chunk_id=chunk.pk, token=claimed.token))
    timings: dict[str, float] = {"pdf": 0.0}
    path = job.pdf_file.path

    def read_pages(first: int, last: int) -> list[str]:
        started = time.perf_counter()
        try:
            return extract_pages(path, first, last, timeout=settings.PDF_EXTRACT_TIMEOUT)
        finally:
            timings["pdf"] += time.perf_counter() - started

    started = time.perf_counter()
    source = chunk_source(read_pages, first=chunk.first_page, last=chunk.last_page, page_count=job.page_count, fix_hyphenation=job.fix_hyphenation)
    timings["cleaning"] = time.perf_counter() - started - timings["pdf"]
    if not beat():
        raise ChunkAbandoned()
    started = time.perf_counter()
    result = local_engine.rewrite(
        source.sentences,
        limit=job.sentence_length_limit,
        min_length=job.min_sentence_length,
        ignore_dialogue=job.ignore_dialogue,
        preserve_formatting=job.preserve_formatting,
    )
    timings["engine"] = time.perf_counter() - started
    timings = {step: round(seconds, 4) for step, seconds in timings.items()}
    return ChunkOutcome(sentences=result.sentences, input_tokens=result.input_tokens, output_tokens=result.output_tokens, api_calls=0, timings=timings)
