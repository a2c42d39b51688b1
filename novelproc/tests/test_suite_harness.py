"""The suite's own scheduling (conftest.py): a test that times a recovery has
the cores alone, and the tests that start processes wait for it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from conftest import the_cores

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.first_pass
HOLD_ALONE = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from conftest import the_cores
    with the_cores(alone=True):
        print("held", flush=True)
        time.sleep(1.5)
    """
)


def test_a_test_that_starts_processes_waits_while_a_timed_one_holds_the_cores(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)  # a run of its own
    holder = subprocess.Popen([sys.executable, "-c", HOLD_ALONE, str(ROOT)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waited = time.monotonic()
        with the_cores(alone=False):
            waited = time.monotonic() - waited
        assert waited > 1.0
        with the_cores(alone=False), the_cores(alone=False):  # shared: any number at once
            pass
    finally:
        holder.wait(timeout=10)


def test_without_xdist_there_is_nothing_to_wait_for(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_TESTRUNUID", raising=False)
    with the_cores(alone=True), the_cores(alone=True):
        pass


def test_the_tests_that_share_the_real_books_job_run_on_one_worker():
    """conftest's groups reach pytest-xdist (pytest 9.2 had silently undone
    them, pytest-xdist#1386): the tests that read the 115-page book's job run
    on one worker, so the book is rewritten once a run, not once per worker."""
    selection = ["jobs/tests/test_anki.py", "jobs/tests/test_vocabulary.py", "jobs/tests/test_chapters.py"]
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-v"]
        + [*selection, "-k", "not 115_page"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},  # a run of its own
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    passed = [line.split() for line in ran.stdout.splitlines() if " PASSED " in line]
    assert len(passed) >= 3 and all(words[-1].endswith("@albert") for words in passed), passed
    assert len({words[0] for words in passed}) == 1, passed  # one worker: [gw0] or [gw1]
