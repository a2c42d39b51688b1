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


@pytest.fixture
def fake_gemini():
    """Start fake Gemini servers (devtools.fakegemini) with the given options; all stop after the test."""
    from devtools.fakegemini import FakeGemini
    from jobs.tests.test_pipeline_gemini_engine import KEY

    servers: list[FakeGemini] = []

    def start(**options) -> FakeGemini:
        options.setdefault("api_key", KEY)
        options.setdefault("seed", 7)
        options.setdefault("retry_delay", 0)
        server = FakeGemini(port=0, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def gemini_service(fake_gemini, settings):
    """New jobs of this process run on Gemini, through a fake server started with the given options."""

    def start(**options):
        server = fake_gemini(**options)
        settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL = server.options.api_key, server.url
        return server

    return start
