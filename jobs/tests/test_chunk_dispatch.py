"""How many chunks of a job are in flight: services._dispatch_chunks, and the
Gemini call slots (chunk_take_call_slot)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import services
from jobs.models import Chunk, ChunkStatus, Engine, Job
from jobs.tests.factories import make_outcome, make_started_job

pytestmark = pytest.mark.usefixtures("no_queue")


def test_dispatch_keeps_at_most_parallel_chunks_in_flight(user, no_queue):
    from django.db import transaction

    job = make_started_job(user, chunks=5, parallel=2)
    with transaction.atomic():
        services._dispatch_chunks(job)
        services._dispatch_chunks(job)
    assert job.chunks.filter(enqueued_at__isnull=False).count() == 2


def test_a_gemini_job_reads_ahead_but_calls_at_most_parallel_at_once(user, settings, no_queue):
    from django.db import transaction

    settings.CHUNK_READ_AHEAD = 2
    job = make_started_job(user, chunks=8, parallel=3)
    Job.objects.filter(pk=job.pk).update(engine=Engine.GEMINI)
    job.refresh_from_db()
    queued = lambda: job.chunks.filter(enqueued_at__isnull=False).count()  # noqa: E731

    def claim_queued():
        return [
            services.chunk_claim(chunk_id=c.pk)
            for c in job.chunks.filter(enqueued_at__isnull=False, status=ChunkStatus.PENDING)
        ]

    def take(claimed):
        return services.chunk_take_call_slot(chunk_id=claimed.chunk.pk, token=claimed.token)

    with transaction.atomic():
        services._dispatch_chunks(job)
    assert queued() == 2  # two read at once
    first = claim_queued()
    assert [take(c) for c in first] == [True, True]
    assert queued() == 4  # each reader that moved on to calling made room for one more
    ahead = claim_queued()
    assert [take(c) for c in ahead] == [True, False]  # the third and last call slot
    assert queued() == 5
    assert take(first[0]) is True  # held already
    services.chunk_record(chunk_id=first[0].chunk.pk, token=first[0].token, outcome=make_outcome())
    assert take(ahead[1]) is True
    assert job.chunks.filter(call_slot_since__isnull=False).count() == 3 and queued() == 6
    # A holder whose worker died (lease expired) frees its slot; re-claimed, the chunk starts without one.
    late = claim_queued()
    assert [take(c) for c in late] == [False, False]
    Chunk.objects.filter(pk=first[1].chunk.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert take(late[0]) is True
    again = services.chunk_claim(chunk_id=first[1].chunk.pk)
    assert Chunk.objects.get(pk=again.chunk.pk).call_slot_since is None
    assert take(first[1]) is None  # the old claim lost it
    assert take(again) is False


def test_a_cancelled_job_gives_no_call_slot(user):
    job = make_started_job(user, chunks=2, parallel=2)
    claimed = services.chunk_claim(chunk_id=job.chunks.get(index=0).pk)
    services.job_cancel(user=user, job_id=job.pk)
    assert services.chunk_take_call_slot(chunk_id=claimed.chunk.pk, token=claimed.token) is None
