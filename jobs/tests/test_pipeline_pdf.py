"""pdf.py on the shared real files: every bad file gets its error code."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import DATA_DIR
from jobs.pipeline import pdf
from jobs.pipeline.pdf import PdfInfo, PdfRejected, extract_pages, inspect_pdf
from jobs.tests.pdfmaker import write_story_pdf

pytestmark = pytest.mark.first_pass


def data_file(name: str) -> Path:
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"shared test data {path} is absent (set NOVELPROC_SHARED_DATA)")
    return path


def rejection(path: Path, **kwargs) -> PdfRejected:
    with pytest.raises(PdfRejected) as caught:
        inspect_pdf(path, max_pages=kwargs.pop("max_pages", 500), **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("name", "code", "status"),
    [
        ("bad/empty.pdf", "EMPTY_FILE", 422),
        ("bad/not-a-pdf.pdf", "NOT_A_PDF", 415),
        # Cut at 200 kB with no xref nor trailer: pypdf cannot recover a single page.
        ("bad/truncated.pdf", "PDF_UNREADABLE", 422),
        ("sample-files/libreoffice-writer-password.pdf", "PDF_ENCRYPTED", 422),
        ("sample-files/imagemagick-images.pdf", "NO_TEXT", 422),
        ("la-reine-du-sabbat-653p.pdf", "TOO_MANY_PAGES", 422),
    ],
)
def test_bad_files_are_rejected_with_their_code(name, code, status):
    error = rejection(data_file(name))
    assert (error.code, error.status) == (code, status)
    assert error.message


@pytest.mark.parametrize(
    ("name", "pages"),
    [
        ("sample-files/pdflatex-4-pages.pdf", 4),
        ("sample-files/multicolumn.pdf", 3),
        ("sample-files/google-doc-document.pdf", 1),
    ],
)
def test_other_producers_open_fine(name, pages):
    info = inspect_pdf(data_file(name), max_pages=500)
    assert info.page_count == pages
    assert info.chars_per_page > 500


def test_the_115_page_book_is_inspected_quickly():
    path = data_file("albert-savarus-115p.pdf")
    started = time.perf_counter()
    info = inspect_pdf(path, max_pages=500)
    elapsed = time.perf_counter() - started
    assert isinstance(info, PdfInfo)
    assert info.page_count == 115
    assert 1200 < info.chars_per_page < 2500  # a novel's page, headers included
    assert elapsed < 2.0, f"inspect took {elapsed:.2f} s"


def test_the_page_limit_is_the_callers():
    error = rejection(data_file("albert-savarus-115p.pdf"), max_pages=100)
    assert error.code == "TOO_MANY_PAGES"
    assert "115" in error.message


def test_extract_pages_returns_the_asked_range():
    path = data_file("albert-savarus-115p.pdf")
    pages = extract_pages(path, 3, 5)
    assert len(pages) == 3
    assert pages[0].startswith("Albert Savarus\nDans un dîner d'apparat")
    assert pages[2].rstrip().endswith("5")
    assert extract_pages(path, 115, 115)[0].rstrip().endswith("115")


def test_extract_pages_past_the_end_is_unreadable():
    with pytest.raises(PdfRejected) as caught:
        extract_pages(data_file("albert-savarus-115p.pdf"), 114, 116)
    assert caught.value.code == "PDF_UNREADABLE"


def test_a_hanging_reader_is_stopped_by_the_timeout(tmp_path):
    # Any PDF, with a timeout no child can meet: the caller gets an error, not a hang.
    path = data_file("la-reine-du-sabbat-457p.pdf")
    started = time.perf_counter()
    with pytest.raises(PdfRejected) as caught:
        extract_pages(path, 1, 457, timeout=0.5)
    assert caught.value.code == "PDF_UNREADABLE"
    assert time.perf_counter() - started < 3


def test_a_memory_hungry_reader_dies_alone():
    with pytest.raises(PdfRejected) as caught:
        extract_pages(data_file("albert-savarus-115p.pdf"), 1, 2, memory_mb=30)
    assert caught.value.code == "PDF_UNREADABLE"


def test_header_checks_need_no_data(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    png = tmp_path / "image.pdf"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + b"nonsense " * 200)
    assert rejection(empty).code == "EMPTY_FILE"
    assert rejection(png).code == "NOT_A_PDF"
    assert rejection(garbage).code == "PDF_UNREADABLE"


# --- The long-lived reader process ------------------------------------------------------


@pytest.fixture
def story(tmp_path):
    return write_story_pdf(tmp_path / "story.pdf", 4)


def reader_pid() -> int:
    return pdf.READER.process.pid


def test_one_reader_process_serves_request_after_request(story):
    first = extract_pages(story, 1, 2)
    pid = reader_pid()
    assert extract_pages(story, 1, 2) == first
    assert inspect_pdf(story, max_pages=10).page_count == 4
    assert reader_pid() == pid


def test_a_request_that_dies_leaves_the_reader_serving(story):
    extract_pages(story, 1, 1)
    pid = reader_pid()
    with pytest.raises(PdfRejected) as caught:
        extract_pages(
            data_file("albert-savarus-115p.pdf"), 1, 2, memory_mb=30
        )  # this request's fork hits its memory cap
    assert caught.value.code == "PDF_UNREADABLE"
    assert len(extract_pages(story, 1, 4)) == 4
    assert reader_pid() == pid


def test_a_killed_reader_is_replaced(story):
    extract_pages(story, 1, 1)
    pdf.READER.process.kill()
    pdf.READER.process.wait()
    assert len(extract_pages(story, 2, 3)) == 2
    assert pdf.READER.process.poll() is None


def test_a_busy_reader_does_not_make_callers_wait(story):
    # Another thread of a web server holds the reader: this call runs its own child.
    with pdf.READER.lock:
        assert len(extract_pages(story, 1, 3)) == 3
