"""The economy option: a job's Gemini calls on the Flex service tier, at the
Flex prices (half the standard ones, from settings), with the Flex timeout and
a lease that outlives two such calls; chosen at confirm (API, upload page,
process_pdf), saved with the job and shown on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from credits.pricing import credit_rates, credits_for_usage, estimate_rates
from jobs import services
from jobs.models import Job, JobStatus
from jobs.processing import gemini_config
from jobs.tests.factories import make_chunk, make_job

SPEED = "gemini-3.1-flash-lite"  # the settings' default


def test_flex_prices_are_half_the_standard_ones_and_the_estimate_follows(settings):
    assert credit_rates(SPEED, flex=True) == {side: rate / 2 for side, rate in credit_rates(SPEED).items()}
    assert estimate_rates("gemini", "speed", flex=True) == {
        side: rate / 2 for side, rate in estimate_rates("gemini", "speed").items()
    }
    settings.GEMINI_FLEX_PRICES = {**settings.GEMINI_FLEX_PRICES, SPEED: {"input": 0.2, "output": 1.0}}
    assert credit_rates(SPEED, flex=True) == {"input": 0.2, "output": 1.0}  # the settings' prices, not a factor
    assert credit_rates("local", flex=True) == credit_rates("local")


def test_an_economy_chunk_is_leased_for_two_flex_calls_and_called_with_the_flex_timeout(user, settings):
    settings.CHUNK_LEASE_SECONDS, settings.CHUNK_LEASE_FLEX_SECONDS = 240, 900
    settings.GEMINI_TIMEOUT, settings.GEMINI_FLEX_TIMEOUT = 120, 450
    settings.GEMINI_API_KEY = "k"
    standard, economy = make_job(user, chunks=1), make_job(user, chunks=1)
    Job.objects.filter(pk=economy.pk).update(economy=True, engine="gemini", model_name=SPEED)
    economy.refresh_from_db()
    for job, lease in ((standard, 240), (economy, 900)):
        chunk = make_chunk(job, 0)
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        chunk.refresh_from_db()
        assert abs(chunk.lease_expires_at - timezone.now() - timedelta(seconds=lease)) < timedelta(seconds=5)
        job.chunks.filter(pk=chunk.pk).update(lease_expires_at=timezone.now())
        assert services.chunk_heartbeat(chunk_id=chunk.pk, token=claimed.token)
        chunk.refresh_from_db()
        assert chunk.lease_expires_at - timezone.now() > timedelta(seconds=lease - 5)  # renewed for as long
    assert (gemini_config(economy).timeout_seconds, gemini_config(economy).service_tier) == (450, "flex")
    assert (gemini_config(standard).timeout_seconds, gemini_config(standard).service_tier) == (120, None)


@pytest.mark.django_db(transaction=True)
def test_an_economy_job_calls_on_flex_and_is_charged_the_flex_prices(api, story_pdf, settings, gemini_service):
    fake = gemini_service()
    book = story_pdf(20)
    with open(book, "rb") as handle:
        estimate = api.post(
            "/api/v1/jobs/estimate",
            {"pdf_file": handle, "model_preference": "speed", "economy": True},
            format="multipart",
        ).json()
    confirmed = api.post(
        "/api/v1/jobs/confirm",
        {
            "original_filename": "s.pdf",
            "page_count": 20,
            "model_preference": "speed",
            "economy": True,
            "processing_settings": {"rewrite": "split"},
        },
        format="json",
    ).json()
    with open(book, "rb") as handle:
        started = api.post(f"/api/v1/jobs/{confirmed['job_id']}/start", {"pdf_file": handle}, format="multipart")
    assert started.status_code == 202

    job = Job.objects.get(pk=confirmed["job_id"])
    assert job.status == JobStatus.COMPLETED and job.economy, (job.error_code, job.error_message)
    stats = fake.stats()
    assert stats["service_tiers"] == {"flex": stats["requests"]} and stats["requests"] >= 1  # every call
    assert estimate["economy"] and estimate["credit_rates"] == job.estimate_rates == estimate_rates(
        "gemini", "speed", flex=True
    )
    used = {m: {"input": t["prompt"], "output": t["candidates"] + t["thoughts"]} for m, t in stats["tokens"].items()}
    assert job.actual_credits == credits_for_usage(used, flex=True) <= job.estimated_credits
    assert 2 * job.actual_credits - 1 <= credits_for_usage(used) <= 2 * job.actual_credits + 1  # half price
    assert job.credit_rates == {SPEED: credit_rates(SPEED, flex=True)}
    shown = api.get(f"/api/v1/jobs/{job.pk}").json()
    assert shown["economy"] is True and shown["estimate_rates"] == job.estimate_rates


@pytest.mark.django_db(transaction=True)
def test_process_pdf_runs_an_economy_job(user, story_pdf, settings, gemini_service, capsys):
    fake = gemini_service()
    call_command(
        "process_pdf", str(story_pdf(10)), "--user", user.username, "--rewrite", "split", "--economy", "--no-worker"
    )  # the test cluster runs chunks inline: the job is done when start returns

    job = Job.objects.get(owner=user)
    assert job.economy and job.status == JobStatus.COMPLETED and "economy: Flex tier" in capsys.readouterr().out
    assert fake.stats()["service_tiers"] == {"flex": fake.stats()["requests"]}


def test_economy_means_nothing_on_the_local_engine_and_is_part_of_the_confirm(user, settings, browser):
    settings.GEMINI_API_KEY = ""
    from jobs.types import ProcessingSettings

    job, _, _ = services.job_confirm(
        user=user,
        original_filename="a.pdf",
        page_count=10,
        model_preference="speed",
        processing=ProcessingSettings(),
        economy=True,
    )
    assert not job.economy and job.estimate_rates == credit_rates("local")
    assert 'id="economy"' not in browser.get("/").content.decode()  # no tier to choose without Gemini
    settings.GEMINI_API_KEY = "k"
    assert 'id="economy"' in browser.get("/").content.decode()
    fingerprints = {
        services.confirm_fingerprint(
            original_filename="a.pdf",
            page_count=10,
            model_preference="speed",
            processing=ProcessingSettings(),
            economy=economy,
        )
        for economy in (False, True)
    }
    assert len(fingerprints) == 2  # a replayed key with the other choice is another request
