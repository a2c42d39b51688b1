"""A Gemini job's plan chosen for latency (issue #15): what it records and shows."""

from __future__ import annotations

import pytest

from jobs.models import Job, JobStatus


@pytest.mark.django_db(transaction=True)
def test_a_gemini_job_is_planned_for_latency_and_shows_its_plan(api, browser, story_pdf, settings, gemini_service):
    settings.CHUNK_PLAN = "latency"
    settings.Q_WORKERS, settings.CHUNK_READ_AHEAD = 4, 2  # two chunks call at once
    # The story's pages are short: with a prompt this cheap, smaller calls are worth their overhead.
    settings.ESTIMATE_GEMINI_PROMPT_TOKENS_PER_CHUNK = 100
    fake = gemini_service()
    book = story_pdf(20)
    with open(book, "rb") as handle:
        estimate = api.post(
            "/api/v1/jobs/estimate", {"pdf_file": handle, "model_preference": "speed"}, format="multipart"
        ).json()
    confirmed = api.post(
        "/api/v1/jobs/confirm",
        {"original_filename": "s.pdf", "page_count": 20, "model_preference": "speed"},
        format="json",
    ).json()
    with open(book, "rb") as handle:
        api.post(f"/api/v1/jobs/{confirmed['job_id']}/start", {"pdf_file": handle}, format="multipart")

    job = Job.objects.get(pk=confirmed["job_id"])
    assert job.status == JobStatus.COMPLETED, (job.error_code, job.error_message)
    plan = estimate["chunk_plan"]
    assert plan["strategy"] == job.strategy == "latency"
    assert (plan["chunk_size"], plan["section_pages"], plan["calls_in_flight"]) == (
        job.chunk_size,
        job.section_pages,
        job.calls_in_flight,
    )
    # Every call at once, in a chunk per calling worker, several calls each.
    assert job.parallel == 2 and job.calls_in_flight == plan["total_calls"] > job.total_chunks
    assert fake.stats()["requests"] == job.gemini_api_calls >= plan["total_calls"]
    assert 0 < job.expected_seconds < 30
    shown = api.get(f"/api/v1/jobs/{job.pk}").json()
    assert (shown["section_pages"], shown["calls_in_flight"], shown["expected_seconds"]) == (
        job.section_pages,
        job.calls_in_flight,
        job.expected_seconds,
    )
    page = browser.get(f"/jobs/{job.pk}/").content.decode()
    assert f"{job.section_pages} pages a Gemini call, {job.calls_in_flight} calls in flight" in page


@pytest.mark.django_db
def test_chunk_plan_seeds_keeps_the_table_and_the_local_engine_never_plans_for_latency(settings):
    from jobs.services import chunk_plan

    settings.CHUNK_PLAN = "seeds"
    seeds = chunk_plan(457, engine="gemini", model="m")
    assert (seeds.chunk_size, seeds.parallel, seeds.strategy, seeds.section_pages) == (15, 5, "small", 0)
    settings.CHUNK_PLAN = "latency"
    assert chunk_plan(457, engine="local").strategy == "small"
    latency = chunk_plan(457, engine="gemini", model="m")
    assert latency.strategy == "latency" and latency.section_pages and latency.total_calls > seeds.total_calls


@pytest.mark.django_db
def test_the_latency_plan_reads_the_quota_and_the_models_speed(settings):
    from jobs.services import chunk_plan

    settings.CHUNK_PLAN = "latency"
    settings.Q_WORKERS = 7
    free = chunk_plan(457, engine="gemini", model="m")
    settings.GEMINI_RPM, settings.GEMINI_TPM = 60, 1_000_000
    quota = chunk_plan(457, engine="gemini", model="m")
    settings.GEMINI_RPM, settings.GEMINI_TPM = 0, 0
    settings.GEMINI_OUTPUT_TPS = {"m": 100, "*": 300}
    slow = chunk_plan(457, engine="gemini", model="m")

    assert quota.total_calls <= 60 < free.total_calls  # a minute's requests hold the book
    assert slow.expected_seconds > 2 * free.expected_seconds
