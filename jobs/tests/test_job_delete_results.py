"""Result retention (services.job_delete_results, run by the sweep): after
RESULT_RETENTION_DAYS a finished job's sentences go, the job's row, counters
and ledger stay; by default nothing is deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from credits.models import CreditLedger
from jobs import services
from jobs.models import Chunk, Job
from jobs.tests.factories import make_completed_job


def finished_days_ago(job: Job, days: int) -> None:
    Job.objects.filter(pk=job.pk).update(completed_at=timezone.now() - timedelta(days=days))


def test_results_are_kept_for_ever_by_default(user, settings):
    assert settings.RESULT_RETENTION_DAYS == 0
    job = make_completed_job(user)
    finished_days_ago(job, 3650)

    assert services.sweep_stale_work().results_deleted == 0
    assert Job.objects.get(pk=job.pk).sentences


def test_the_sweep_deletes_the_sentences_of_jobs_finished_before_the_retention(user, settings):
    settings.RESULT_RETENTION_DAYS = 30
    old, recent = make_completed_job(user), make_completed_job(user)
    finished_days_ago(old, 31)
    finished_days_ago(recent, 29)
    ledger_rows = CreditLedger.objects.count()

    assert services.sweep_stale_work().results_deleted == 1

    old.refresh_from_db()
    assert old.sentences == [] and old.results_deleted_at is not None
    assert list(Chunk.objects.filter(job=old).values_list("sentences", flat=True)) == [[], []]
    assert old.total_tokens > 0 and old.actual_credits is not None  # the record stays
    assert Job.objects.get(pk=recent.pk).sentences and CreditLedger.objects.count() == ledger_rows
    assert services.sweep_stale_work().results_deleted == 0  # once


def test_expired_results_are_410_and_cannot_be_retried(api, settings):
    settings.RESULT_RETENTION_DAYS = 30
    job = make_completed_job(api.user)
    finished_days_ago(job, 31)
    services.sweep_stale_work()

    for url in (f"/api/v1/jobs/{job.pk}/result", f"/api/v1/jobs/{job.pk}/export?format=csv"):
        answer = api.get(url)
        assert answer.status_code == 410 and answer.json()["error_code"] == "RESULTS_EXPIRED", url
    Chunk.objects.filter(job=job, index=1).update(status="failed")
    assert api.post(f"/api/v1/jobs/{job.pk}/chunks/retry").json()["error_code"] == "RESULTS_EXPIRED"


@pytest.mark.parametrize("days", [0, 7])
def test_the_history_page_says_how_long_sentences_are_kept(browser, user, settings, days):
    settings.RESULT_RETENTION_DAYS = days
    job = make_completed_job(user)
    if days:
        finished_days_ago(job, days + 1)
        services.sweep_stale_work()

    body = browser.get("/jobs/").content.decode()

    notice = "Sentences are kept for 7 days after a book finishes, then deleted"
    assert (notice in body) == bool(days) and ("sentences deleted" in body) == bool(days)
    assert ("after the retention period" in browser.get(f"/jobs/{job.pk}/").content.decode()) == bool(days)
