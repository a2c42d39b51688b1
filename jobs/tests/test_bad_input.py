"""Every bad file gets a clear error at estimate/start, or a failed job with a
message; never a 500, never a stuck job. Tasks run inline here."""

from __future__ import annotations

import pytest

from conftest import shared_file
from credits.selectors import credit_balance
from jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = [
    ("bad/empty.pdf", 422, "EMPTY_FILE"),
    ("bad/not-a-pdf.pdf", 415, "NOT_A_PDF"),
    ("sample-files/libreoffice-writer-password.pdf", 422, "PDF_ENCRYPTED"),
    ("sample-files/imagemagick-images.pdf", 422, "NO_TEXT"),
    ("la-reine-du-sabbat-653p.pdf", 422, "TOO_MANY_PAGES"),
]
READABLE = ["sample-files/pdflatex-4-pages.pdf", "sample-files/multicolumn.pdf", "sample-files/google-doc-document.pdf"]


def post_file(api, url: str, path, **fields):
    with open(path, "rb") as handle:
        return api.post(url, {"pdf_file": handle, **fields}, format="multipart")


@pytest.mark.parametrize(("name", "status", "code"), REFUSED)
def test_refused_files_get_a_clear_error_at_estimate_and_start(api, name, status, code):
    path = shared_file(name)
    estimate = post_file(api, "/api/v1/jobs/estimate", path)
    assert (estimate.status_code, estimate.json()["error_code"]) == (status, code), estimate.json()
    job_id = api.post("/api/v1/jobs/confirm", {"original_filename": path.name, "page_count": 10}, format="json").json()[
        "job_id"
    ]
    start = post_file(api, f"/api/v1/jobs/{job_id}/start", path)
    assert (start.status_code, start.json()["error_code"]) == (status, code)
    job = Job.objects.get(pk=job_id)
    assert job.status == "pending" and job.queued_at is None and not job.pdf_file  # nothing started, file not kept
    assert api.post(f"/api/v1/jobs/{job_id}/cancel").json()["refunded_credits"] == job.estimated_credits
    assert credit_balance(user=api.user) == 2000


def test_truncated_pdf_is_refused_or_fails_its_job_with_a_message(api):
    path = shared_file("bad/truncated.pdf")
    job_id = api.post("/api/v1/jobs/confirm", {"original_filename": path.name, "page_count": 10}, format="json").json()[
        "job_id"
    ]
    start = post_file(api, f"/api/v1/jobs/{job_id}/start", path)
    assert start.status_code in {202, 422}, start.json()
    job = Job.objects.get(pk=job_id)
    if start.status_code == 422:
        assert start.json()["error_code"] == "PDF_UNREADABLE"
    else:
        assert job.status in {"completed", "failed"}
        assert job.status == "completed" or job.error_message


@pytest.mark.parametrize("name", READABLE)
def test_pdfs_from_other_producers_are_processed(api, name):
    path = shared_file(name)
    estimate = post_file(api, "/api/v1/jobs/estimate", path)
    assert estimate.status_code == 200, estimate.json()
    pages = estimate.json()["page_count"]
    job_id = api.post(
        "/api/v1/jobs/confirm", {"original_filename": path.name, "page_count": pages}, format="json"
    ).json()["job_id"]
    assert post_file(api, f"/api/v1/jobs/{job_id}/start", path).status_code == 202
    job = Job.objects.get(pk=job_id)
    assert job.status == "completed" and job.sentences


def test_a_file_over_the_size_limit_is_413(api, settings, story_pdf):
    settings.MAX_UPLOAD_BYTES = 1000
    response = post_file(api, "/api/v1/jobs/estimate", story_pdf(5))
    assert response.status_code == 413 and response.json()["error_code"] == "FILE_TOO_LARGE"


def test_garbage_that_claims_to_be_a_pdf_is_refused(api, tmp_path):
    path = tmp_path / "liar.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 400)
    response = post_file(api, "/api/v1/jobs/estimate", path)
    assert response.status_code == 422 and response.json()["error_code"] == "PDF_UNREADABLE"


def test_a_job_whose_file_breaks_during_extraction_fails_with_a_message(api, story_pdf, monkeypatch):
    from jobs.pipeline.pdf import PdfRejected

    def broken(*args, **kwargs):
        raise PdfRejected("PDF_UNREADABLE", "The PDF could not be read (worker limit exceeded).", 422)

    monkeypatch.setattr("jobs.processing.extract_pages", broken)
    job_id = api.post("/api/v1/jobs/confirm", {"original_filename": "s.pdf", "page_count": 40}, format="json").json()[
        "job_id"
    ]
    assert post_file(api, f"/api/v1/jobs/{job_id}/start", story_pdf(40)).status_code == 202
    job = api.get(f"/api/v1/jobs/{job_id}").json()
    assert (
        job["status"] == "failed"
        and job["error_code"] == "ALL_CHUNKS_FAILED"
        and "PDF_UNREADABLE" in job["error_message"]
    )
    assert job["failed_chunks"] == [0, 1] and job["actual_credits"] == 0
    assert credit_balance(user=api.user) == 2000


def test_control_characters_in_the_text_are_dropped_not_stored(api, tmp_path):
    # A font without a Unicode map makes pypdf give control characters, NUL
    # included, which PostgreSQL refuses in text and JSON columns.
    from jobs.models import PageText
    from jobs.tests.pdfmaker import make_pdf, story_pages

    pages = story_pages(40)
    pages[20] = [pages[20][0] + " Il écrivit A\x00B\x01C\x07D sur la porte."] + pages[20][1:]
    path = tmp_path / "controls.pdf"
    path.write_bytes(make_pdf(pages))
    job_id = api.post("/api/v1/jobs/confirm", {"original_filename": "c.pdf", "page_count": 40}, format="json").json()[
        "job_id"
    ]
    assert post_file(api, f"/api/v1/jobs/{job_id}/start", path).status_code == 202
    job = api.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "completed" and job["failed_chunks"] == []
    sentences = api.get(f"/api/v1/jobs/{job_id}/result").json()["sentences"]
    assert any("ABCD" in s for s in sentences)
    stored = "".join(PageText.objects.filter(job_id=job_id).values_list("text", flat=True))
    assert not any(ord(c) < 32 and c not in "\n\r\t\f" for c in stored + "".join(sentences))
