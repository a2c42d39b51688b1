"""The job page's "Retry failed chunks" button (static/js/job.js), in Chromium
against the in-process live server; tasks run inline there, so the retried
chunk runs as soon as the button is pressed."""

from __future__ import annotations

import pytest
from django.test import Client

from jobs.models import Chunk, ChunkStatus, Job, JobStatus
from jobs.pipeline import engines
from jobs.tests.browser import chromium_path, launch, off_the_loop
from jobs.tests.factories import make_chunk, make_job

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(180),
    pytest.mark.skipif(chromium_path() is None, reason="no `chromium` binary on PATH (.ci/run installs it)"),
]


@pytest.fixture
def job_with_a_failed_chunk(api, story_pdf, settings, monkeypatch, transactional_db) -> Job:
    settings.CHUNK_SIZE_OVERRIDE = 6
    real_rewrite = engines.rewrite
    calls: list[int] = []

    def second_chunk_fails(source, processing, engine):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the engine broke")
        return real_rewrite(source, processing, engine)

    monkeypatch.setattr(engines, "rewrite", second_chunk_fails)
    job_id = api.post("/api/v1/jobs/confirm", {"original_filename": "s.pdf", "page_count": 12}, format="json").json()[
        "job_id"
    ]
    with open(story_pdf(12), "rb") as handle:
        assert api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code == 202
    monkeypatch.setattr(engines, "rewrite", real_rewrite)
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.COMPLETED and job.failed_chunk_count == 1
    return job


def test_retry_failed_chunks_reruns_them_and_the_page_follows(live_server, user, job_with_a_failed_chunk):
    from playwright.sync_api import sync_playwright

    job = job_with_a_failed_chunk
    session = Client()
    session.force_login(user)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context()
            context.add_cookies(
                [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{live_server.url}/jobs/{job.pk}/")
            assert page.locator("#chunk-grid .chunk--failed").count() == 1

            page.click("#retry-button")

            page.wait_for_selector("#retry-button[hidden]", state="attached")
            page.wait_for_function("document.querySelectorAll('#chunk-grid .chunk--succeeded').length === 2")
            # The job was already Completed before the retry: the chunk's square turns green on the
            # chunk's message, the count and the status follow on the job's, so wait for the count.
            expected = len(off_the_loop(lambda: Job.objects.get(pk=job.pk).sentences))
            page.wait_for_function(
                "n => document.getElementById('sentence-count').textContent.trim().replace(/,/g, '') === String(n)",
                arg=expected,
            )
            status = page.locator("#job-status").inner_text().strip()
        finally:
            browser.close()

    assert errors == []
    statuses = off_the_loop(lambda: list(Chunk.objects.filter(job=job).values_list("status", flat=True)))
    assert statuses == [ChunkStatus.SUCCEEDED, ChunkStatus.SUCCEEDED]
    assert status == "Completed" and expected > 0


GRID = """() => {
  const grid = document.getElementById("chunk-grid");
  const cells = Array.from(grid.children);
  const boxes = cells.map((cell) => cell.getBoundingClientRect());
  return {
    indexes: cells.map((cell) => Number(cell.dataset.index)),
    statuses: cells.map((cell) => cell.className.replace("chunk chunk--", "")),
    labels: cells.map((cell) => cell.textContent),
    narrowest: Math.min(...boxes.map((box) => Math.min(box.width, box.height))),
    rows: new Set(boxes.map((box) => Math.round(box.top))).size,
    height: grid.getBoundingClientRect().height,
    sideways: document.documentElement.scrollWidth > window.innerWidth,
  };
}"""


def test_a_hundred_chunks_make_a_grid_of_a_few_rows_on_a_laptop_and_a_phone(live_server, user, transactional_db):
    """Issue #15: a plan for latency cuts a long book into about a hundred
    chunks. The job page shows each in order, in its state, with squares big
    enough to see, in a few rows, and never scrolls sideways."""
    from playwright.sync_api import sync_playwright

    job = make_job(user, chunks=100, parallel=10, status=JobStatus.PROCESSING)
    states = (
        [ChunkStatus.SUCCEEDED] * 40 + [ChunkStatus.RUNNING] * 10 + [ChunkStatus.FAILED] + [ChunkStatus.PENDING] * 49
    )
    for index, status in enumerate(states):
        make_chunk(job, index, status)
    session = Client()
    session.force_login(user)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            seen = {}
            for name, viewport, most_rows in (("laptop", (1280, 800), 5), ("phone", (390, 844), 12)):
                context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
                context.add_cookies(
                    [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
                )
                page = context.new_page()
                page.goto(f"{live_server.url}/jobs/{job.pk}/")
                seen[name] = (page.evaluate(GRID), viewport, most_rows)
                context.close()
        finally:
            browser.close()

    for name, (grid, (_, height), most_rows) in seen.items():
        assert grid["indexes"] == list(range(100)), name
        assert grid["statuses"] == [str(status) for status in states], name
        assert grid["labels"][50] == "Chunk 51, pages 501–510: failed", name
        assert grid["narrowest"] >= 14, (name, grid["narrowest"])
        assert grid["rows"] <= most_rows and grid["height"] <= height / 3, (name, grid["rows"], grid["height"])
        assert not grid["sideways"], name
