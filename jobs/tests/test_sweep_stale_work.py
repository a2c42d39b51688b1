"""services.sweep_stale_work: lost work is found again."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from jobs import services
from jobs.models import Chunk, ChunkStatus

pytestmark = pytest.mark.usefixtures("no_queue")


def test_sweep_requeues_expired_leases_and_fails_chunks_out_of_attempts(
    job, settings, django_capture_on_commit_callbacks, no_queue
):
    settings.CHUNK_MAX_ATTEMPTS = 2
    chunks = list(job.chunks.all())
    services.chunk_claim(chunk_id=chunks[0].pk)
    Chunk.objects.filter(pk=chunks[0].pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        report = services.sweep_stale_work()
    assert report.requeued >= 1
    assert mock.call(chunks[0].pk) in no_queue.call_args_list
    services.chunk_claim(chunk_id=chunks[0].pk)  # attempt 2
    Chunk.objects.filter(pk=chunks[0].pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    report = services.sweep_stale_work()
    assert report.failed == 1
    chunks[0].refresh_from_db()
    assert chunks[0].status == ChunkStatus.FAILED and chunks[0].error_code == "WORKER_LOST"
