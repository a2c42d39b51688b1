"""The job's page store: neighbouring chunks share the pages they both read,
so pypdf parses each page of a book about once, and the results do not change."""

from __future__ import annotations

import pytest

from jobs import services
from jobs.models import Job, JobStatus, PageText
from jobs.pipeline import pdf
from jobs.pipeline.text import chunk_source, runs
from jobs.tests.factories import make_started_job
from jobs.tests.pdfmaker import story_pages


def test_runs_are_the_ranges_of_consecutive_pages():
    assert runs([]) == []
    assert runs([4]) == [(4, 4)]
    assert runs([1, 2, 3, 7, 8, 10]) == [(1, 3), (7, 8), (10, 10)]


def test_a_chunk_reads_its_own_pages_before_its_edges():
    pages = ["\n".join(lines) for lines in story_pages(40)]
    asked = []

    def read(first: int, last: int) -> list[str]:
        asked.append((first, last))
        return pages[first - 1 : last]

    chunk_source(read, first=16, last=30, page_count=40)
    assert asked[:3] == [(16, 30), (13, 15), (31, 33)]  # own pages, then the overlap and header window each side
    assert all(
        first > 33 or last < 13 for first, last in asked[3:]
    )  # a run-on paragraph reads further, never a page twice


def test_the_first_text_kept_for_a_page_stays(user):
    job = make_started_job(user, chunks=1)
    services.job_keep_pages(job_id=job.pk, pages={3: "trois", 4: "quatre"})
    services.job_keep_pages(job_id=job.pk, pages={4: "read again at the same time", 5: "cinq"})
    assert dict(PageText.objects.filter(job=job).values_list("number", "text")) == {3: "trois", 4: "quatre", 5: "cinq"}


def test_deleting_the_upload_drops_the_kept_pages(user):
    job = make_started_job(user, chunks=1, status=JobStatus.COMPLETED)
    services.job_keep_pages(job_id=job.pk, pages={1: "un"})
    services.job_delete_upload(job=job)
    assert not PageText.objects.filter(job=job).exists()


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
