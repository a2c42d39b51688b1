"""services.job_retry_failed_chunks: a finished job's failed chunks run again,
reserved again, their figures counted once."""

import pytest

from credits.models import CreditLedger
from jobs import services
from jobs.models import Job, JobStatus
from jobs.tests.factories import make_outcome, make_started_job, record
from jobs.tests.test_chunk_record import FIRST, SECOND

pytestmark = pytest.mark.usefixtures("no_queue")


def test_retry_failed_chunks_reopens_the_job_and_reserves_again(job, user):
    for chunk in job.chunks.all():
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        if chunk.index == 2:
            services.chunk_fail(chunk_id=chunk.pk, token=claimed.token, error_code="ENGINE_ERROR", message="x")
        else:
            services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=make_outcome())
    job.refresh_from_db()
    job.pdf_file.name = "uploads/present.pdf"
    job.save(update_fields=["pdf_file"])
    reopened = services.job_retry_failed_chunks(user=user, job_id=job.pk)
    assert reopened.status == JobStatus.PROCESSING and reopened.billing_round == 2
    chunk = job.chunks.get(index=2)
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=make_outcome())
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.actual_credits == 3 and job.failed_chunk_count == 0
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 2


def test_a_retried_chunk_and_a_duplicate_delivery_count_the_figures_once(user):
    job = make_started_job(user, chunks=2)
    first, second = job.chunks.order_by("index")
    record(first, FIRST)
    claimed = services.chunk_claim(chunk_id=second.pk)
    services.chunk_fail(chunk_id=second.pk, token=claimed.token, error_code="ENGINE_ERROR", message="x")
    job.refresh_from_db()
    assert (job.complete_lines, job.words, job.engine_seconds, job.recorded_chunks) == (
        3,
        12,
        0.5,
        1,
    )  # a failed chunk adds no figures

    Job.objects.filter(pk=job.pk).update(pdf_file="uploads/present.pdf")
    services.job_retry_failed_chunks(user=user, job_id=job.pk)
    retried = services.chunk_claim(chunk_id=second.pk)
    assert services.chunk_record(chunk_id=second.pk, token=retried.token, outcome=SECOND)
    assert (
        services.chunk_record(chunk_id=second.pk, token=retried.token, outcome=SECOND) is False
    )  # the same task delivered twice
    assert services.chunk_claim(chunk_id=second.pk) is None

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.recorded_chunks == 2
    assert (job.lines_judged, job.complete_lines, job.sentences_over_limit, job.words, job.engine_seconds) == (
        6,
        4,
        1,
        22,
        2.0,
    )
