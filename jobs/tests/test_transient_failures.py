"""A database or broker that drops out under a chunk task is not the chunk's
fault: the step is tried again, or the chunk goes back to the queue at once;
it is never failed, and the attempt does not count."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from jobs import services, tasks
from jobs.models import Chunk, ChunkStatus
from jobs.tests.factories import make_outcome, make_started_job

# Real commits: the task closes its connections on a transient error, as it would a dead one.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_waits(monkeypatch):
    monkeypatch.setattr(tasks, "TRANSIENT_WAITS", (0, 0))


def test_a_transient_error_while_working_gives_the_chunk_back_at_once(user, no_queue):
    job = make_started_job(user, chunks=2)
    chunk = job.chunks.get(index=0)
    no_queue.reset_mock()

    with mock.patch.object(tasks, "run_chunk", side_effect=OperationalError("server closed the connection")):
        assert tasks.process_chunk(chunk.pk) == "released: transient error, queued again"

    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING and chunk.attempts == 0  # the attempt does not count
    assert chunk.lease_expires_at is not None and services.chunk_claim(chunk_id=chunk.pk) is not None  # claimable now
    no_queue.assert_called_once_with(chunk.pk)  # queued again, not left to the sweep


def test_a_record_that_meets_a_dead_connection_is_tried_again(user, no_queue):
    job = make_started_job(user, chunks=1)
    chunk = job.chunks.get()
    real_record = services.chunk_record
    calls = {"n": 0}

    def flaky_record(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real_record(**kwargs)

    with (
        mock.patch.object(tasks, "run_chunk", return_value=make_outcome(["Une phrase."])),
        mock.patch.object(services, "chunk_record", side_effect=flaky_record),
    ):
        assert tasks.process_chunk(chunk.pk) == "recorded"

    assert calls["n"] == 2 and Chunk.objects.get(pk=chunk.pk).status == ChunkStatus.SUCCEEDED


def test_a_chunk_the_broker_could_not_take_is_dispatched_again_by_the_sweep(user):
    job = make_started_job(user, chunks=1)
    chunk = job.chunks.get()
    with mock.patch("jobs.services.async_task", side_effect=RedisConnectionError("Connection refused")):
        services._enqueue_chunk(chunk.pk)
    assert Chunk.objects.get(pk=chunk.pk).enqueued_at is None  # "not dispatched": the sweep's to queue

    with mock.patch("jobs.services.async_task") as queue:
        services.sweep_stale_work()
    queue.assert_called_once()
    assert Chunk.objects.get(pk=chunk.pk).enqueued_at is not None
