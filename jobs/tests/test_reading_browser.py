"""Reading a finished book in Chromium: on its job page the chapter list
jumps to a chapter and the sentences come a page at a time; its vocabulary
page lists the words and the proper names apart, and downloads them (the
115-page novel, run inline through the API; the in-process live server
serves it)."""

from __future__ import annotations

import csv
import re

import pytest
from django.test import Client

from jobs.selectors import SENTENCES_PER_PAGE
from jobs.tests.books import albert
from jobs.tests.browser import Screenshots, chromium_path, launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(chromium_path() is None, reason="no `chromium` binary on PATH (.ci/run installs it)"),
]


@pytest.fixture
def book_page(live_server, user, api, transactional_db):
    """A Chromium page logged in as `user`, and the finished 115-page job's result."""
    from playwright.sync_api import sync_playwright

    job_id, _ = albert(api)
    result = api.get(f"/api/v1/jobs/{job_id}/result").json()
    session = Client()
    session.force_login(user)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        context.add_cookies(
            [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server.url}/jobs/{job_id}/")
        yield page, result
        assert errors == []
        browser.close()


def in_view(page, selector: str) -> bool:
    """Is the element on screen: inside the window and inside the scrolled sentence list?"""
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            const list = document.getElementById('sentences').getBoundingClientRect();
            const across = box.left >= Math.max(0, list.left) - 1 && box.right <= Math.min(window.innerWidth, list.right) + 1;
            return across && box.top >= Math.max(0, list.top) - 1 && box.top < Math.min(window.innerHeight, list.bottom);
        }""",
        selector,
    )


def test_the_chapter_list_jumps_to_a_chapter_and_pages_turn(book_page):
    page, result = book_page
    shots = Screenshots(page, "reading")
    chapters, sentences = result["chapters"], result["sentences"]
    pages = -(-len(sentences) // SENTENCES_PER_PAGE)
    assert page.locator("#chapter-list a").all_inner_texts() == ["Opening"] + [c["title"] for c in chapters[1:]]
    assert page.locator("#sentences li").count() == SENTENCES_PER_PAGE
    assert page.inner_text("#pager-count") == str(pages) and page.inner_text("#sentence-count") == str(len(sentences))
    shots.take("first-page")

    chapter = next(c for c in chapters if c["title"] == "L'AMBITIEUX PAR AMOUR")
    on_page = (chapter["first"] - 1) // SENTENCES_PER_PAGE + 1
    page.click('#chapter-list a:text-is("L\'AMBITIEUX PAR AMOUR")')
    page.wait_for_url(re.compile(rf".*\?page={on_page}#s-{chapter['first']}$"))
    heading = f"#s-{chapter['first']}"
    assert page.inner_text(heading) == sentences[chapter["first"] - 1] and chapter["title"].startswith(
        page.inner_text(heading)
    )
    assert page.inner_text("#pager-number") == str(on_page)
    assert in_view(page, heading), "the chapter's first sentence should be on screen"
    assert page.evaluate(f"getComputedStyle(document.querySelector('{heading}')).backgroundColor") != "rgba(0, 0, 0, 0)"
    shown = page.locator("#sentences li").all_inner_texts()
    first = (on_page - 1) * SENTENCES_PER_PAGE
    assert shown == sentences[first : first + SENTENCES_PER_PAGE]
    shots.take("chapter")

    page.click("#pager-next")
    page.wait_for_url(re.compile(rf".*\?page={on_page + 1}$"))
    assert page.locator("#sentences li").first.inner_text() == sentences[first + SENTENCES_PER_PAGE]
    assert page.get_attribute("#sentences", "start") == str(first + SENTENCES_PER_PAGE + 1)
    page.click("#pager-last")
    page.wait_for_url(re.compile(rf".*\?page={pages}$"))
    assert page.locator("#sentences li").last.inner_text() == sentences[-1]
    assert page.is_hidden("#pager-next")
    shots.take("last-page")


def test_the_vocabulary_page_lists_words_and_names_apart_and_downloads_them(book_page):
    from jobs.tests.apkg import read_apkg

    page, _ = book_page
    shots = Screenshots(page, "vocabulary")
    page.click("#vocabulary-link")
    page.wait_for_url(re.compile(r".*/vocabulary/$"))
    words = page.locator("#lemmas tbody tr")
    assert words.count() == 100 and int(page.inner_text("#lemma-total")) > 1000
    bands = page.locator("#lemmas tbody .band").all_inner_texts()
    assert "core" not in bands[:20] and page.is_visible("#vocabulary-next")
    shots.take("words")

    page.click("#tab-names")
    page.wait_for_url(re.compile(r".*pos=PROPN.*"))
    names = page.locator("#lemmas tbody td.lemma").all_inner_texts()
    assert names[0] in ("Philomène", "Albert", "Savarus", "Watteville") and "Philomène" in names
    assert all(name[:1].isupper() for name in names)
    shots.take("names")

    page.goto(page.url.split("?")[0] + "?pos=VERB&min_count=10&sort=count")
    shown = page.locator("#lemmas tbody td.lemma").all_inner_texts()
    counts = [int(c) for c in page.locator("#lemmas tbody td.num").all_inner_texts()]
    assert shown and counts == sorted(counts, reverse=True) and min(counts) >= 10
    with page.expect_download() as download:
        page.click("#vocabulary-downloads a[data-format=csv]")
    rows = list(csv.reader(open(download.value.path(), encoding="utf-8-sig")))
    assert [row[0] for row in rows[1:]] == shown and {row[1] for row in rows[1:]} == {"VERB"}
    with page.expect_download() as deck:
        page.click("#vocabulary-downloads a[data-format=apkg]")
    assert [note.fields[0] for note in read_apkg(open(deck.value.path(), "rb").read()).notes] == shown
    shots.take("verbs")
