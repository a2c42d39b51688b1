"""Reads worth naming (jobs.selectors)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jobs import selectors
from jobs.models import Job
from jobs.tests.factories import make_started_job
from novelproc.errors import JobNotFound


def test_get_owned_job_finds_only_the_owners_live_jobs(user, user_factory):
    mine = make_started_job(user, chunks=1)
    theirs = make_started_job(user_factory("mallory"), chunks=1)
    deleted = make_started_job(user, chunks=1)
    Job.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())

    assert selectors.get_owned_job(user=user, job_id=mine.pk) == mine
    for job_id in (theirs.pk, deleted.pk, 999_999, "not-an-id"):
        with pytest.raises(JobNotFound) as refused:
            selectors.get_owned_job(user=user, job_id=job_id)
        assert (refused.value.status_code, refused.value.error_code) == (404, "NOT_FOUND")


def test_a_job_with_nothing_recorded_has_no_shares_to_show(job):
    quality = selectors.job_quality(job=job)

    assert (quality.sentences, quality.over_limit_share) == (0, 0.0)
    assert quality.complete_share is None and quality.content_coverage is None and quality.words_per_second is None
    assert job.recorded_chunks == 0
