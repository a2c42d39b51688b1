"""/metrics (novelproc.metrics): who may scrape, and that each family counts
what the database holds, read back with the Prometheus client's own parser."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from credits.models import CreditLedger
from jobs import services
from jobs.models import Job
from jobs.tests.factories import make_outcome, make_started_job, record

TOKEN = "scrape-me-4f1c"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of an exposition: (name, sorted labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def scrape(settings, db):
    settings.METRICS_TOKEN = TOKEN

    def get() -> dict[tuple[str, tuple], float]:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain; version=")
        return samples(response.content.decode())

    return get


@pytest.fixture
def work(user):
    """A local job of two recorded chunks, and a Gemini job with one recorded and one failed chunk."""
    local = make_started_job(user, chunks=2, parallel=2)
    Job.objects.filter(pk=local.pk).update(model_name="fr_core_news_sm")
    for index in range(2):
        timings = {"pdf": 0.2, "cleaning": 0.03, "engine": 1.5 + index}
        record(local.chunks.get(index=index), dataclasses.replace(make_outcome(tokens=100), timings=timings))
    gemini = make_started_job(user, chunks=2, parallel=2)
    Job.objects.filter(pk=gemini.pk).update(engine="gemini", model_name="gemini-2.5-flash")
    timings = {"pdf": 0.2, "cleaning": 0.03, "slot_wait": 4.0, "engine": 40.0}
    outcome = dataclasses.replace(make_outcome(tokens=1000), api_calls=2, timings=timings)
    record(gemini.chunks.get(index=0), outcome)
    chunk = gemini.chunks.get(index=1)
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    services.chunk_fail(
        chunk_id=chunk.pk, token=claimed.token, error_code="RESOURCE_EXHAUSTED", message="quota", api_calls=4
    )
    return local, gemini


def test_metrics_are_refused_without_staff_or_the_token(settings, browser):
    settings.METRICS_TOKEN = TOKEN

    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer guessed").status_code == 401
    assert browser.get("/metrics").status_code == 401  # a learner's session is not enough


def test_no_token_set_means_staff_only(settings, user, browser):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401

    user.is_staff = True
    user.save()

    assert browser.get("/metrics").status_code == 200


def test_jobs_chunks_and_credits_are_counted(scrape, work):
    values = scrape()

    assert values[("novelproc_jobs", (("engine", "local"), ("status", "completed")))] == 1
    assert values[("novelproc_jobs", (("engine", "gemini"), ("status", "completed")))] == 1
    assert values[("novelproc_chunks", (("status", "succeeded"),))] == 3
    assert values[("novelproc_chunks", (("status", "failed"),))] == 1
    ledger = {kind: values[("novelproc_credits_total", (("kind", kind),))] for kind in ("reserve", "charge", "release")}
    rows = CreditLedger.objects.filter(kind__in=ledger)
    assert ledger == {kind: sum(abs(row.amount) for row in rows if row.kind == kind) for kind in ledger}
    assert ledger["reserve"] == 100 and ledger["charge"] > 0


def test_gemini_calls_tokens_and_errors_by_model(scrape, work):
    values = scrape()

    flash = ("model", "gemini-2.5-flash")
    assert values[("novelproc_gemini_calls_total", (flash,))] == 6  # the failed chunk's calls too
    assert values[("novelproc_tokens_total", (("direction", "input"), ("engine", "gemini"), flash))] == 600
    assert values[("novelproc_tokens_total", (("direction", "output"), ("engine", "gemini"), flash))] == 400
    assert (
        values[("novelproc_tokens_total", (("direction", "input"), ("engine", "local"), ("model", "fr_core_news_sm")))]
        == 120
    )
    failed = (("engine", "gemini"), ("error_code", "RESOURCE_EXHAUSTED"), flash)
    assert values[("novelproc_failed_chunks", failed)] == 1


def test_chunk_stage_durations_are_a_histogram_per_stage(scrape, work):
    values = scrape()

    def bucket(stage: str, le: str) -> float:
        return values[("novelproc_chunk_stage_seconds_bucket", (("le", le), ("stage", stage)))]

    assert values[("novelproc_chunk_stage_seconds_count", (("stage", "engine"),))] == 3
    assert values[("novelproc_chunk_stage_seconds_sum", (("stage", "engine"),))] == pytest.approx(44.0)
    assert (bucket("engine", "1"), bucket("engine", "2.5"), bucket("engine", "60"), bucket("engine", "+Inf")) == (
        0,
        2,
        3,
        3,
    )
    assert values[("novelproc_chunk_stage_seconds_count", (("stage", "slot_wait"),))] == 1  # Gemini chunks only
    assert bucket("pdf", "0.25") == 3


def test_queue_depth_and_live_workers(scrape, monkeypatch):
    from django_q.brokers import get_broker
    from django_q.status import Stat
    from django_q.tasks import async_task

    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: [SimpleNamespace(workers=[1, 2, 3])]))
    monkeypatch.setattr("django_q.conf.Conf.SYNC", False)
    async_task("jobs.tasks.sweep")  # waits in the broker: no cluster runs here
    try:
        values = scrape()
    finally:
        get_broker().purge_queue()

    assert values[("novelproc_queue_tasks", ())] >= 1
    assert values[("novelproc_workers", ())] == 3 and values[("novelproc_clusters", ())] == 1


def test_a_family_that_fails_is_reported_and_the_others_still_come(scrape, work, monkeypatch):
    def broker_down():
        raise ConnectionError("broker down")

    monkeypatch.setattr("django_q.brokers.get_broker", broker_down)

    values = scrape()

    assert values[("novelproc_metrics_family_errors", (("family", "queue_and_workers"),))] == 1
    assert values[("novelproc_chunks", (("status", "succeeded"),))] == 3
    assert ("novelproc_workers", ()) not in values


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(settings, db):
    settings.METRICS_TOKEN = TOKEN

    response = Client().get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0"
    )

    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")
