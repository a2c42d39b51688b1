"""The job's page store (services.job_keep_pages, job_delete_upload): the
first text kept for a page stays, and it goes with the upload."""

from __future__ import annotations

from jobs import services
from jobs.models import JobStatus, PageText
from jobs.tests.factories import make_started_job


def test_the_first_text_kept_for_a_page_stays(user):
    job = make_started_job(user, chunks=1)
    services.job_keep_pages(job_id=job.pk, pages={3: "trois", 4: "quatre"})
    services.job_keep_pages(job_id=job.pk, pages={4: "read again at the same time", 5: "cinq"})
    assert dict(PageText.objects.filter(job=job).values_list("number", "text")) == {3: "trois", 4: "quatre", 5: "cinq"}


def test_deleting_the_upload_drops_the_kept_pages(user):
    job = make_started_job(user, chunks=1, status=JobStatus.COMPLETED)
    services.job_keep_pages(job_id=job.pk, pages={1: "un"})
    services.job_delete_upload(job=job)
    assert not PageText.objects.filter(job=job).exists()
