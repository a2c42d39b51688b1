"""services.job_cancel: finished chunks charged, the rest released at once, running work dropped."""

import pytest

from credits.models import CreditLedger
from jobs import services
from jobs.models import JobStatus
from jobs.tests.factories import make_outcome
from novelproc.errors import InvalidTransition

pytestmark = pytest.mark.usefixtures("no_queue")


def test_cancel_charges_finished_chunks_releases_the_rest_and_drops_running_work(job, user):
    chunks = list(job.chunks.all())
    done = services.chunk_claim(chunk_id=chunks[0].pk)
    services.chunk_record(chunk_id=chunks[0].pk, token=done.token, outcome=make_outcome())
    running = services.chunk_claim(chunk_id=chunks[1].pk)
    rec = services.job_cancel(user=user, job_id=job.pk)
    assert rec.actual_credits == 1 and rec.refunded == 49
    assert services.chunk_heartbeat(chunk_id=chunks[1].pk, token=running.token) is False
    assert services.chunk_record(chunk_id=chunks[1].pk, token=running.token, outcome=make_outcome()) is False
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.total_tokens == 1000
    assert services.chunk_claim(chunk_id=chunks[2].pk) is None
    with pytest.raises(InvalidTransition):
        services.job_cancel(user=user, job_id=job.pk)
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 1
