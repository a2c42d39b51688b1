"""Driving Debian's Chromium through Playwright, for the browser tests.

Playwright's own browser download does not work here: the system `chromium`
binary is launched instead, with the flags a headless CI container needs."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium")


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


class Screenshots:
    """Numbered full-page screenshots of one test, under test-artifacts/browser/."""

    def __init__(self, page, prefix: str):
        self.page, self.prefix, self.count = page, prefix, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob(f"{prefix}-*.png"):
            old.unlink()

    def take(self, name: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def off_the_loop(read: Callable[[], object]) -> object:
    """Run ORM reads in a thread of their own: Playwright's sync API keeps an
    event loop in the test's thread, and Django refuses the ORM next to one."""
    from django.db import connection

    def run():
        try:
            return read()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def sample_until(
    read: Callable[[], object], done: Callable[[object], bool], *, timeout: float, interval: float = 0.1
) -> list:
    """Read a value over and over until `done(value)`; returns the distinct values in order."""
    seen: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if not seen or value != seen[-1]:
            seen.append(value)
        if done(value):
            return seen
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s; values seen: {seen}")
