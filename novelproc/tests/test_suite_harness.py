"""The suite's own scheduling (conftest.py): a test that times a recovery has
the cores alone, and the tests that start processes wait for it."""

from __future__ import annotations

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
