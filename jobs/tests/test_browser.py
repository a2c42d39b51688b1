"""A learner's whole visit, in a real browser (Chromium through Playwright)
against a real server and a real `qcluster`.

`page_server` is the base URL the browser visits: daphne serving HTTP and
the job sockets, as in production (chunks of 4 pages, so that the book has
enough chunks to watch and to cancel mid-way).

The ORM is read through `off_the_loop`: Playwright's sync API keeps an event
loop in this thread, and Django refuses ORM calls next to one."""

from __future__ import annotations

import csv
import io
import re

import pytest

from conftest import DATA_DIR
from jobs.selectors import SENTENCES_PER_PAGE
from jobs.tests.browser import Screenshots, chromium_path, launch, off_the_loop, sample_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        chromium_path() is None, reason="no `chromium` binary on PATH (apt-get install chromium; .ci/run does it)"
    ),
]

BOOK = DATA_DIR / "albert-savarus-115p.pdf"
TERMINAL = ("Completed", "Failed", "Cancelled")


@pytest.fixture
def page_server(asgi_server_factory) -> str:
    return asgi_server_factory(CHUNK_SIZE_OVERRIDE="4").url


@pytest.fixture
def book(story_pdf):
    """The real 115-page novel when the shared data is here, else a self-made book."""
    return (BOOK, 115) if BOOK.exists() else (story_pdf(60), 60)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        yield page
        context.close()
        browser.close()


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def progress(page) -> tuple[int, str]:
    value, status = page.evaluate(
        "[document.getElementById('progress').value, document.getElementById('job-status').textContent.trim()]"
    )
    return int(value), status


def upload_and_estimate(page, base: str, pdf, pages: int) -> None:
    page.goto(f"{base}/")
    page.set_input_files("#pdf-file", str(pdf))
    page.wait_for_selector("#estimate:not([hidden])")
    assert text(page, "#est-pages") == str(pages)


def start(page) -> int:
    page.click("#start-button")
    page.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    return int(re.search(r"/jobs/(\d+)/$", page.url).group(1))


def test_a_learner_uploads_follows_downloads_and_cancels(page_server, cluster_factory, browser_page, book, settings):
    from credits.models import CreditLedger
    from jobs.models import Job

    cluster_factory()
    page, base = browser_page, page_server
    shots = Screenshots(page, "learner")
    pdf, pages = book

    page.goto(f"{base}/signup/")
    page.fill("#id_username", "lea")
    page.fill("#id_password1", "un-long-mot-de-passe-7")
    page.fill("#id_password2", "un-long-mot-de-passe-7")
    shots.take("signup")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    shots.take("upload")

    upload_and_estimate(page, base, pdf, pages)
    estimated = int(text(page, "#est-credits"))
    assert int(text(page, "#est-balance-after")) == settings.MONTHLY_GRANT_CREDITS - estimated
    shots.take("estimate")

    first_id = start(page)
    mid_shot, live_sentences, modes = [], [], set()

    def read():
        value = progress(page)
        if 0 < value[0] < 100 and not mid_shot:
            mid_shot.append(shots.take("progress"))
        modes.add(page.get_attribute("#live-indicator", "data-mode"))
        if value[1] == "Processing" and page.evaluate("document.querySelectorAll('#sentences li').length") > 0:
            live_sentences.append(value[0])  # sentences of finished chunks, before the job is done
        return value

    seen = sample_until(read, lambda v: v[1] in TERMINAL, timeout=400)
    percents = [p for p, _ in seen]
    assert seen[-1] == (100, "Completed"), seen
    assert percents == sorted(percents), percents
    assert len({p for p in percents if 0 < p < 100}) >= 2, f"the bar should move through the chunks: {percents}"
    assert page.evaluate("window.__sameDocument") is True
    assert "live" in modes, f"the job page should have followed the job over its socket: {modes}"
    assert live_sentences, "sentences should appear as chunks finish, not only at the end"

    page.wait_for_function("document.querySelectorAll('#sentences li').length > 0")
    shown = page.eval_on_selector_all("#sentences li", "items => items.map(li => li.textContent)")
    total = int(text(page, "#sentence-count"))
    assert total > (500 if pages == 115 else 50) and len(shown) == min(total, SENTENCES_PER_PAGE)
    assert text(page, "#credits-charged") != "–"
    live_quality = text(page, "#quality-figures")
    # The judge's figures: a share of lines read as sentences beside the book's own, and none over the limit.
    assert page.is_visible("#quality"), live_quality
    assert re.match(r"\d+\.\d % of [\d,]+ lines read as sentences \(the book's own: \d+\.\d %\)", live_quality), (
        live_quality
    )
    assert f" · 0 of {total:,} sentences over the limit" in live_quality, live_quality
    shots.take("completed")

    with page.expect_download() as download:
        page.click("#downloads a[data-format=csv]")
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert rows[0] == ["Index", "Sentence", "Chapter"]
    exported = [row[1] for row in rows[1:]]
    assert len(exported) == total and exported[: len(shown)] == shown
    if pages == 115:  # the real book has chapters: the page turns to one in place, from the final result
        page.click("#chapter-list li:nth-child(2) a")
        first = int(page.get_attribute("#chapter-list li:nth-child(2) a", "data-first"))
        page.wait_for_selector(f"#s-{first}.is-target")
        assert page.evaluate("window.__sameDocument") is True
        assert text(page, f"#s-{first}") == exported[first - 1] and rows[first][2].startswith(exported[first - 1])
    page.reload()
    assert text(page, "#quality-figures") == live_quality  # job.js wrote the line the server writes

    # A second book, cancelled from its page mid-way.
    upload_and_estimate(page, base, pdf, pages)
    second_id = start(page)
    sample_until(lambda: progress(page), lambda v: v[0] >= 10 or v[1] in TERMINAL, timeout=300)
    assert progress(page)[1] == "Processing", "the job finished before it could be cancelled"
    shots.take("second-job-running")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-button")
    page.wait_for_function("document.getElementById('job-status').textContent.trim() === 'Cancelled'")
    page.wait_for_selector("#cancel-button", state="hidden")
    cancelled_at_percent = progress(page)[0]
    shots.take("second-job-cancelled")

    page.goto(f"{base}/jobs/")
    assert page.locator("table.table tbody tr").count() == 2
    shots.take("history")

    page.goto(f"{base}/credits/")
    balance_shown = int(text(page, "#credit-balance"))
    reserved_shown = int(text(page, "#credit-reserved"))
    shots.take("credits")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/jobs/{second_id}/")
    shots.take("phone-job")
    page.goto(f"{base}/jobs/")
    shots.take("phone-history")
    assert not page.errors, page.errors

    def facts():
        first, second = Job.objects.get(pk=first_id), Job.objects.get(pk=second_id)
        return first, second, CreditLedger.objects.filter(job=second, kind="release").exists()

    first, second, released = off_the_loop(facts)
    assert first.status == "completed" and second.status == "cancelled"
    assert 0 < cancelled_at_percent < 100 and second.processed_chunks < second.total_chunks
    assert second.actual_credits < second.estimated_credits and released  # the unused reservation came back
    assert balance_shown == settings.MONTHLY_GRANT_CREDITS - first.actual_credits - second.actual_credits
    assert reserved_shown == 0


def test_upload_page_explains_a_file_that_is_not_a_pdf(transactional_db, user, page_server, browser_page, tmp_path):
    fake = tmp_path / "notes.pdf"
    fake.write_text("Ceci n'est pas un PDF.\n" * 20)
    page = browser_page
    page.goto(f"{page_server}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{page_server}/")

    page.set_input_files("#pdf-file", str(fake))
    page.wait_for_selector("#upload-error:not([hidden])")

    assert "not a PDF" in text(page, "#upload-error")
    assert page.is_disabled("#start-button")
    Screenshots(page, "errors").take("not-a-pdf")
