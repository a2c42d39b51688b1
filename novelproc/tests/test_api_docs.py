"""/api/docs/ renders from the project's own static files (drf-spectacular-sidecar),
in Chromium, with every request to another host than the test server refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from jobs.tests.browser import chromium_path, launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(120),
    pytest.mark.skipif(chromium_path() is None, reason="no `chromium` binary on PATH (.ci/run installs it)"),
]


def test_api_docs_render_their_operations_with_no_outside_host(live_server, transactional_db):
    from playwright.sync_api import sync_playwright

    ours = urlsplit(live_server.url).netloc
    refused: list[str] = []

    def only_ours(route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("**/*", only_ours)
            page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector(".opblock", timeout=30_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            title = page.locator(".info .title").inner_text()
        finally:
            browser.close()

    assert refused == [] and errors == []
    assert "novelproc API" in title
    shown = {path.replace("\u200b", "").strip().rstrip("/") for path in paths}  # Swagger UI breaks paths with <wbr>
    assert {"/api/v1/jobs/confirm", "/api/v1/jobs/{id}/start", "/api/v1/credits/me"} <= shown, shown
    assert len(paths) >= 15
