"""jobs.processing: the work of one chunk, outside any transaction.
Neighbouring chunks share the pages they both read (the job's page store),
so pypdf parses each page of a book about once, and the results do not change."""

from __future__ import annotations

import pytest

from jobs.models import Job, JobStatus, PageText
from jobs.pipeline import pdf


@pytest.mark.django_db(transaction=True)
def test_neighbouring_chunks_parse_each_page_once_and_give_the_same_sentences(api, story_pdf, monkeypatch):
    parsed: list[int] = []
    real_extract = pdf.extract_pages

    def counting_extract(path, first, last, **kwargs):
        parsed.extend(range(first, last + 1))
        return real_extract(path, first, last, **kwargs)

    monkeypatch.setattr("jobs.processing.extract_pages", counting_extract)
    book = story_pdf(40)

    def run_job() -> Job:
        job_id = api.post(
            "/api/v1/jobs/confirm", {"original_filename": "s.pdf", "page_count": 40}, format="json"
        ).json()["job_id"]
        with open(book, "rb") as handle:
            assert api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code == 202
        return Job.objects.get(pk=job_id)

    shared = run_job()
    assert shared.status == JobStatus.COMPLETED and shared.total_chunks == 2
    assert sorted(parsed) == list(range(1, 41))  # every page once, though the chunks overlap
    assert PageText.objects.filter(job=shared).count() == 40

    parsed.clear()
    monkeypatch.setattr("jobs.processing.kept_pages", lambda **kwargs: {})  # as if every chunk read alone
    alone = run_job()
    assert len(parsed) > 40
    assert alone.sentences == shared.sentences and len(shared.sentences) > 100
