"""Run a real book through the API with the tasks inline (Q_CLUSTER sync in
tests): the chapter, Anki and vocabulary tests read the job it leaves."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

from conftest import shared_file
from jobs.pipeline import engines

ALBERT = "albert-savarus-115p"


def run_book(api, path: Path, pages: int, **processing) -> int:
    """Confirm and start `path` as `api`'s user; the job has finished when this returns."""
    confirmed = api.post(
        "/api/v1/jobs/confirm",
        {"original_filename": path.name, "page_count": pages, "processing_settings": processing},
        format="json",
    )
    assert confirmed.status_code == 201, confirmed.json()
    job_id = confirmed.json()["job_id"]
    with open(path, "rb") as handle:
        started = api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart")
    assert started.status_code == 202, started.json()
    return job_id


# The local engine's result per chunk input, for the whole test session.
_REWRITES: dict[str, engines.RewriteResult] = {}


@contextlib.contextmanager
def same_rewrites():
    """While open, the local engine answers a chunk it has already rewritten in
    this session from memory. The chapter, Anki, vocabulary and reading tests
    each run the same book through the API and read what the job keeps; the
    rewrite of the book (about a minute of CPU) is the same every time, and the
    engine itself is tested on its own (test_pipeline_*)."""
    rewrite = engines.rewrite

    def remembered(source, processing, engine):
        if not isinstance(engine, engines.LocalEngine):
            return rewrite(source, processing, engine)
        key = repr((source.sentences, source.context_before, source.context_after, processing))
        if key not in _REWRITES:
            _REWRITES[key] = rewrite(source, processing, engine)
        kept = _REWRITES[key]
        return dataclasses.replace(kept, sentences=list(kept.sentences), sources=list(kept.sources))

    engines.rewrite = remembered
    try:
        yield
    finally:
        engines.rewrite = rewrite


def albert(api) -> tuple[int, list[str]]:
    """The 115-page book as a finished job (skips where the shared data is absent): its id and the reference paragraphs."""
    pdf = shared_file(f"{ALBERT}.pdf")
    with same_rewrites():
        job_id = run_book(api, pdf, 115)
    reference = [p.strip() for p in shared_file(f"{ALBERT}.txt").read_text(encoding="utf-8").split("\n") if p.strip()]
    return job_id, reference
