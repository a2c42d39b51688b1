"""services.chunk_claim: a chunk is taken once, under a lease; an expired
lease lets another worker take it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import services
from jobs.models import Chunk, ChunkStatus, JobStatus
from jobs.tests.factories import make_outcome

pytestmark = pytest.mark.usefixtures("no_queue")


def test_claim_takes_a_pending_chunk_once(job):
    chunk = job.chunks.get(index=0)
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    assert claimed is not None and claimed.job.status == JobStatus.PROCESSING
    assert services.chunk_claim(chunk_id=chunk.pk) is None  # a duplicate delivery does nothing
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING and chunk.attempts == 1


def test_an_expired_lease_can_be_claimed_again_and_the_old_claim_cannot_record(job):
    chunk = job.chunks.get(index=0)
    old = services.chunk_claim(chunk_id=chunk.pk)
    Chunk.objects.filter(pk=chunk.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    new = services.chunk_claim(chunk_id=chunk.pk)
    assert new is not None and new.token != old.token
    assert services.chunk_heartbeat(chunk_id=chunk.pk, token=old.token) is False
    assert services.chunk_record(chunk_id=chunk.pk, token=old.token, outcome=make_outcome()) is False
    assert services.chunk_record(chunk_id=chunk.pk, token=new.token, outcome=make_outcome()) is True
    job.refresh_from_db()
    assert job.processed_chunks == 1 and job.total_tokens == 1000
