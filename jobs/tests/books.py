"""Run a real book through the API with the tasks inline (Q_CLUSTER sync in
tests): the chapter, Anki and vocabulary tests read the job it leaves."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from conftest import shared_file
from jobs.pipeline import engines
from jobs.tests.live import ROOT

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


@functools.cache
def _store() -> Path:
    """Where the rewrites of this version of the local engine are kept: in
    pytest's own cache folder (--cache-clear empties it), so that bin/test's
    second pass reads what its first pass rewrote. The version is what the
    engine's answer depends on besides its input, its code and spaCy's
    model: a change to either is a new folder, rewritten again."""
    import spacy

    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "jobs" / "pipeline").glob("*.py"), ROOT / "jobs" / "types.py"]):
        digest.update(path.name.encode() + path.read_bytes())
    model = spacy.util.get_package_version(engines.local_engine.MODEL)
    digest.update(f"{spacy.__version__} {engines.local_engine.MODEL} {model}".encode())
    folder = ROOT / ".pytest_cache" / "novelproc-rewrites" / digest.hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored(key: str) -> Path:
    return _store() / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.pickle"


def _save(path: Path, result: engines.RewriteResult) -> None:
    from spacy.tokens import DocBin

    # A Doc pickles with its whole vocabulary; a DocBin keeps only the parse.
    docs = DocBin(docs=result.source_docs, store_user_data=True).to_bytes()
    kept = pickle.dumps((dataclasses.replace(result, source_docs=[]), docs))
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(kept)
    os.replace(handle.name, path)  # a reader sees the whole file or none


def _load(path: Path) -> engines.RewriteResult | None:
    from spacy.tokens import DocBin

    try:
        result, docs = pickle.loads(path.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        return None  # absent, or written by another version of the result type: rewrite
    nlp = engines.local_engine.nlp()
    return dataclasses.replace(result, source_docs=list(DocBin().from_bytes(docs).get_docs(nlp.vocab)))


@contextlib.contextmanager
def same_rewrites():
    """While open, the local engine answers a chunk it has already rewritten
    from what it answered then, kept on disk for the engine's version (its
    code and model): across the tests of a run and across bin/test's two
    passes. The chapter, Anki, vocabulary and reading tests each run the same
    book through the API and read what the job keeps; the rewrite of the book
    (about half a minute of CPU) is the same every time, and the engine itself
    is tested on its own (test_pipeline_*)."""
    rewrite = engines.rewrite

    def remembered(source, processing, engine):
        if not isinstance(engine, engines.LocalEngine):
            return rewrite(source, processing, engine)
        path = _stored(repr((source.sentences, source.context_before, source.context_after, processing)))
        kept = _load(path)
        if kept is None:
            kept = rewrite(source, processing, engine)
            _save(path, kept)
        return kept

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
