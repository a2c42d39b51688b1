"""Fixtures of the jobs tests."""

from __future__ import annotations

from unittest import mock

import pytest


@pytest.fixture
def no_queue():
    """Chunks are not queued: a test claims and records them itself."""
    with mock.patch("jobs.services._enqueue_chunk") as enqueue:
        yield enqueue


@pytest.fixture
def job(user):
    """A started job of three pending chunks."""
    from jobs.tests.factories import make_started_job

    return make_started_job(user, chunks=3)
