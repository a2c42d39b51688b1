"""services.chunk_fail: a chunk fails for good and the job goes on; the rule
for a job with failed chunks."""

import pytest

from credits.models import CreditLedger
from jobs import services
from jobs.models import JobStatus
from jobs.tests.factories import make_outcome

pytestmark = pytest.mark.usefixtures("no_queue")


def test_a_job_whose_every_chunk_failed_is_failed_and_charges_nothing(job, user):
    for chunk in job.chunks.all():
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        services.chunk_fail(chunk_id=chunk.pk, token=claimed.token, error_code="PDF_UNREADABLE", message="broken")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "ALL_CHUNKS_FAILED"
    assert job.actual_credits == 0
    assert not CreditLedger.objects.filter(job=job, kind="charge").exists()


def test_some_failed_chunks_complete_the_job_with_partial_results(job):
    chunks = list(job.chunks.all())
    for chunk in chunks[:2]:
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=make_outcome())
    claimed = services.chunk_claim(chunk_id=chunks[2].pk)
    services.chunk_fail(chunk_id=chunks[2].pk, token=claimed.token, error_code="ENGINE_ERROR", message="x")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.failed_chunk_count == 1 and job.actual_credits == 2
