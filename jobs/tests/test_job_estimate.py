"""services.job_estimate and the start estimate: what a book would cost, with
no side effects, reckoned at the rates the charge bills (each side its own),
from Gemini's own token count of a sample where a key is set."""

from __future__ import annotations

import math
import socket
import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from credits.models import CreditLedger
from credits.pricing import credit_rates, credits_at, estimate_rates
from jobs import services
from jobs.models import Job, JobStatus
from jobs.pipeline.pdf import inspect_pdf

SPEED = "gemini-3.1-flash-lite"  # the settings' default


def test_the_estimate_reckons_the_book_as_its_start_will_and_creates_nothing(
    user, story_pdf, settings, tmp_path, monkeypatch
):
    path = story_pdf(40)
    upload = SimpleUploadedFile("s.pdf", path.read_bytes(), content_type="application/pdf")
    copies = tmp_path / "copies"
    copies.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(copies))

    estimate = services.job_estimate(user=user, upload=upload, model_preference="speed")

    info = inspect_pdf(path, max_pages=settings.MAX_PDF_PAGES)
    tokens = services.start_estimate_tokens(info=info, engine=estimate.engine, model_preference="speed")
    assert (estimate.page_count, estimate.plan.total_chunks, estimate.tokens) == (40, 2, tokens)
    assert estimate.estimated_credits == credits_at(tokens.as_usage(), estimate.credit_rates) > 0
    assert estimate.balance == settings.MONTHLY_GRANT_CREDITS  # the credits read credited this month's grant
    assert estimate.balance_after == estimate.balance - estimate.estimated_credits
    assert not Job.objects.exists() and not CreditLedger.objects.exclude(kind="grant").exists()
    assert list(copies.iterdir()) == []  # the copy is gone


def test_the_estimate_rates_are_the_charges_each_side_the_dearer_of_the_model_and_its_fallback(settings):
    settings.GEMINI_PRICES = {
        **settings.GEMINI_PRICES,
        SPEED: {"input": 0.25, "output": 1.50},
        settings.GEMINI_FALLBACK_MODEL: {"input": 0.40, "output": 0.40},
    }
    settings.CREDITS_PER_USD = 1000

    assert estimate_rates("gemini", "speed") == {"input": 0.40, "output": 1.50}
    assert estimate_rates("local", "speed") == credit_rates("local") == {"input": 1.0, "output": 1.0}
    settings.GEMINI_FALLBACK_MODEL = ""
    assert estimate_rates("gemini", "speed") == credit_rates(SPEED)


def test_with_a_key_the_start_estimate_counts_the_sample_with_gemini(story_pdf, settings, gemini_service):
    fake = gemini_service()
    info = inspect_pdf(story_pdf(40), max_pages=settings.MAX_PDF_PAGES)

    per_token = services.chars_per_token(info=info, engine="gemini", model_preference="speed")

    # The fake counts as its usage does: four characters a token, spaces included; the
    # estimate's characters are the sample's without spaces, so a token holds fewer of them.
    sample = "".join(info.sample_text.split())
    assert per_token == len(sample) / math.ceil(len(info.sample_text) / 4) < settings.ESTIMATE_CHARS_PER_TOKEN
    assert fake.stats()["token_counts"] == 1 and fake.stats()["requests"] == 0  # free: no generateContent


def test_without_a_key_or_when_the_count_fails_the_estimate_uses_the_heuristic(story_pdf, settings, gemini_service):
    info = inspect_pdf(story_pdf(10), max_pages=settings.MAX_PDF_PAGES)
    # Four characters a token, spaces included: fewer of the book's characters, which leave them out.
    sample = "".join(info.sample_text.split())
    heuristic = settings.ESTIMATE_CHARS_PER_TOKEN * len(sample) / len(info.sample_text)
    assert 0.7 * settings.ESTIMATE_CHARS_PER_TOKEN < heuristic < settings.ESTIMATE_CHARS_PER_TOKEN
    assert services.chars_per_token(info=info, engine="local", model_preference="speed") == heuristic

    gemini_service(missing_models={SPEED})  # the count answers 404
    assert services.chars_per_token(info=info, engine="gemini", model_preference="speed") == heuristic
    with socket.socket() as closed:  # nothing answers on a port just freed: a connection error
        closed.bind(("127.0.0.1", 0))
        settings.GEMINI_BASE_URL = f"http://127.0.0.1:{closed.getsockname()[1]}"
    assert services.chars_per_token(info=info, engine="gemini", model_preference="speed") == heuristic
    settings.GEMINI_API_KEY = ""
    assert services.chars_per_token(info=info, engine="gemini", model_preference="speed") == heuristic


# The start estimate against the charge of the same book on the fake: the
# estimate holds ESTIMATE_MARGIN (15 %) over the expected tokens; the book's
# text and Gemini's answers vary around that by a few percent.
ESTIMATE_OVER_CHARGE = (1.0, 1.35)


@pytest.mark.django_db(transaction=True)
def test_a_gemini_job_is_charged_about_its_start_estimate_and_every_credit_is_accounted_for(
    api, story_pdf, settings, gemini_service
):
    fake = gemini_service()
    settings.GEMINI_TIMEOUT = 60
    book = story_pdf(40)
    job_id = api.post(
        "/api/v1/jobs/confirm",
        {"original_filename": "s.pdf", "page_count": 40, "model_preference": "speed"},
        format="json",
    ).json()["job_id"]
    with open(book, "rb") as handle:
        estimate = api.post(
            "/api/v1/jobs/estimate", {"pdf_file": handle, "model_preference": "speed"}, format="multipart"
        ).json()
    with open(book, "rb") as handle:
        assert api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code == 202

    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.COMPLETED and job.engine == "gemini", (job.error_code, job.error_message)
    reserved, charged = job.estimated_credits, job.actual_credits
    print(
        f"\nestimate {estimate['estimated_credits']} (reserved {reserved}), charged {charged}: "
        f"{reserved / charged:.2f}; tokens estimated {estimate['estimated_input_tokens']} in / "
        f"{estimate['estimated_output_tokens']} out, used {job.input_tokens} / {job.output_tokens}"
    )
    assert estimate["estimated_credits"] == reserved  # POST estimate reckons as the start did, which held that much
    assert job.estimate_rates == estimate["credit_rates"] == estimate_rates("gemini", job.model_preference)
    low, high = ESTIMATE_OVER_CHARGE
    assert low * charged <= reserved <= high * charged
    assert job.total_tokens == fake.stats()["total_tokens"]
    # No credit lost or charged twice: the reservation came back whole but for the one charge.
    movements = list(CreditLedger.objects.filter(job=job).values_list("kind", "amount"))
    assert [kind for kind, _ in movements].count("charge") == 1
    assert sum(amount for _, amount in movements) == -charged == sum(a for k, a in movements if k == "charge")
