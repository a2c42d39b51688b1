"""The jobs' web pages (jobs.views, SPEC §6): who sees what, and the few
writes pages make themselves (sign-up, deleting a finished job)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.html import escape

from credits.models import CreditLedger
from credits.selectors import credit_balance
from jobs import services
from jobs.models import Chunk, Job, JobStatus
from jobs.tests.factories import make_completed_job, make_outcome, make_started_job, record
from jobs.types import ProcessingSettings

PAGES = ["/", "/jobs/"]


@pytest.mark.parametrize("url", PAGES)
def test_each_page_answers_its_user(browser, url):
    response = browser.get(url)

    assert response.status_code == 200
    assert b"Log out" in response.content


@pytest.mark.parametrize("url", [*PAGES, "/jobs/1/"])
def test_pages_send_anonymous_visitors_to_login(db, url):
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_login_and_signup_pages_answer_anonymous_visitors(db):
    assert Client().get("/login/").status_code == 200
    assert Client().get("/signup/").status_code == 200


def test_job_page_shows_the_owners_job_with_its_sentences_and_downloads(browser, user):
    job = make_completed_job(user)

    response = browser.get(f"/jobs/{job.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Phrase 0-0." in body and "Phrase 1-1." in body
    assert body.index("Phrase 0-1.") < body.index("Phrase 1-0.")
    assert f"/api/v1/jobs/{job.pk}/export?format=csv" in body
    assert 'id="progress" max="100" value="100"' in body


def test_job_page_of_a_running_job_shows_the_finished_chunks_sentences(browser, user):
    job = make_started_job(user, chunks=3, parallel=3)
    record(Chunk.objects.get(job=job, index=1), make_outcome(["Le milieu du livre."], tokens=2))

    body = browser.get(f"/jobs/{job.pk}/").content.decode()

    assert "Le milieu du livre." in body
    assert body.count('<li class="chunk chunk--succeeded"') == 1 and body.count('<li class="chunk chunk--pending"') == 2


def test_job_page_shows_the_quality_figures_once_a_chunk_is_recorded(browser, user):
    job = make_started_job(user, chunks=2)
    assert re.search(r'<p id="quality" class="muted" hidden>', browser.get(f"/jobs/{job.pk}/").content.decode())

    outcome = make_outcome(
        ["Il pleut."] * 6191,
        tokens=2,
        lines_judged=6191,
        complete_lines=5859,
        source_sentences=3000,
        complete_source_sentences=2730,
        source_content=10000,
        kept_content=9900,
        output_content=9950,
        invented_content=10,
        words=12382,
        engine_seconds=1.7,
    )
    record(Chunk.objects.get(job=job, index=0), outcome)

    body = browser.get(f"/jobs/{job.pk}/").content.decode()

    line = (
        "94.6 % of 6,191 lines read as sentences (the book's own: 91.0 %) · 99.0 % of the content kept · "
        "0.1 % invented · 0 of 6,191 sentences over the limit · 7,284 words/s"
    )
    assert f'<p id="quality" class="muted">Quality: <span id="quality-figures">{escape(line)}</span></p>' in body
    assert '"quality": {"sentences": 6191' in body  # the page script starts from the same figures


def test_another_users_job_page_is_404(browser, user_factory):
    stranger = user_factory("mallory")
    job = make_started_job(stranger)

    assert browser.get(f"/jobs/{job.pk}/").status_code == 404
    assert browser.get("/jobs/999999/").status_code == 404


def test_history_lists_only_the_users_jobs(browser, user, user_factory):
    mine = make_started_job(user)
    Job.objects.filter(pk=mine.pk).update(original_filename="mon-roman.pdf")
    other = make_started_job(user_factory("bob"))
    Job.objects.filter(pk=other.pk).update(original_filename="secret-de-bob.pdf")

    body = browser.get("/jobs/").content.decode()

    assert "mon-roman.pdf" in body and f"/jobs/{mine.pk}/" in body
    assert "secret-de-bob.pdf" not in body


def test_signup_creates_the_user_logs_in_and_opens_the_upload_page(db):
    client = Client()

    response = client.post(
        "/signup/",
        {"username": "lea", "password1": "un-long-mot-de-passe-7", "password2": "un-long-mot-de-passe-7"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"].username == "lea" and response.context["user"].is_authenticated
    assert b"Confirm and start" in response.content


def test_signup_refuses_mismatched_passwords(db):
    response = Client().post(
        "/signup/", {"username": "lea", "password1": "un-long-mot-de-passe-7", "password2": "autre-chose-9"}
    )

    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert b"field-error" in response.content


def test_logout_is_a_post_that_ends_the_session(browser):
    response = browser.post("/logout/")

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert browser.get("/").status_code == 302


def test_upload_page_defaults_to_the_last_jobs_settings(browser, user):
    job, _, _ = services.job_confirm(
        user=user,
        original_filename="a.pdf",
        page_count=10,
        model_preference="quality",
        processing=ProcessingSettings(
            sentence_length_limit=12,
            min_sentence_length=3,
            ignore_dialogue=True,
            fix_hyphenation=False,
            rewrite="split",
        ),
    )

    body = browser.get("/").content.decode()

    assert re.search(r'id="sentence_length_limit"[^>]*value="12"', body)
    assert re.search(r'id="min_sentence_length"[^>]*value="3"', body)
    assert 'id="model_preference" name="model_preference" value="quality"' in body  # kept for when a key is set
    assert re.search(r'id="ignore_dialogue" checked', body) and not re.search(r'id="fix_hyphenation" checked', body)
    assert '<option value="split" selected>' in body and '<option value="simplify">' in body


def test_upload_page_defaults_for_a_new_user(browser):
    body = browser.get("/").content.decode()

    assert re.search(r'id="sentence_length_limit"[^>]*value="8"', body)
    assert 'id="model_preference" name="model_preference" value="balanced"' in body
    assert re.search(r'id="fix_hyphenation" checked', body)


def test_deleting_a_finished_job_removes_it_and_its_data_but_keeps_the_ledger(browser, user):
    job = make_completed_job(user)
    rows_before = CreditLedger.objects.filter(user=user).count()
    balance_before = credit_balance(user=user)

    response = browser.post(f"/jobs/{job.pk}/delete/", follow=True)

    assert response.redirect_chain[-1][0] == "/jobs/"
    assert f"/jobs/{job.pk}/" not in response.content.decode()
    assert browser.get(f"/jobs/{job.pk}/").status_code == 404
    job.refresh_from_db()
    assert job.sentences == [] and not job.chunks.exists() and not job.pdf_file
    assert (
        CreditLedger.objects.filter(user=user).count() == rows_before and CreditLedger.objects.filter(job=job).exists()
    )
    assert credit_balance(user=user) == balance_before


def test_deleting_an_active_job_is_refused(browser, user):
    job = make_started_job(user, status=JobStatus.PROCESSING)

    response = browser.post(f"/jobs/{job.pk}/delete/", follow=True)

    assert "cancel it or wait" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.PROCESSING and job.chunks.count() == 3
    with pytest.raises(Exception) as refused:
        services.job_delete(user=user, job_id=job.pk)
    assert getattr(refused.value, "status_code", None) == 409


def test_deleting_another_users_job_is_404(browser, user_factory):
    job = make_completed_job(user_factory("bob"))

    assert browser.post(f"/jobs/{job.pk}/delete/").status_code == 404
    assert Job.objects.get(pk=job.pk).sentences != []


def test_delete_needs_a_post(browser, user):
    job = make_completed_job(user)

    assert browser.get(f"/jobs/{job.pk}/delete/").status_code == 405


def test_the_pages_scripts_get_every_url_from_the_page(browser, user):
    from pathlib import Path

    job = make_started_job(user, chunks=1)
    upload = browser.get("/").content.decode()
    page = browser.get(f"/jobs/{job.pk}/").content.decode()

    assert 'data-estimate-url="/api/v1/jobs/estimate" data-confirm-url="/api/v1/jobs/confirm"' in upload
    assert 'data-start-url="/api/v1/jobs/0/start"' in upload and 'data-page-url="/jobs/0/"' in upload
    assert f'data-job-url="/api/v1/jobs/{job.pk}" data-chunks-url="/api/v1/jobs/{job.pk}/chunks"' in page
    assert f'data-socket-path="/ws/jobs/{job.pk}/"' in page
    root = Path(__file__).resolve().parents[2]
    for source in [*root.glob("templates/**/*.html"), *root.glob("static/js/*.js")]:
        text = source.read_text(encoding="utf-8")
        assert "/api/v1" not in text and "/ws/jobs" not in text, source


def test_upload_page_without_a_gemini_key_names_the_local_engine_and_offers_no_model(browser, settings):
    settings.GEMINI_API_KEY = ""

    body = browser.get("/").content.decode()

    assert "built-in French engine (fr_core_news_sm)" in body and "no model to choose" in body
    assert '<select id="model_preference"' not in body
    assert re.search(r'<input type="hidden" id="model_preference" name="model_preference" value="\w+">', body)


def test_upload_page_with_a_gemini_key_says_what_each_model_choice_runs(browser, settings):
    settings.GEMINI_API_KEY = "key"

    body = browser.get("/").content.decode()

    assert '<select id="model_preference"' in body and "Google Gemini" in body
    for preference, model in settings.GEMINI_MODELS.items():
        # The estimate's rates: each side the dearer of the model's price and its fallback's.
        rates = [settings.GEMINI_PRICES[m] for m in (model, settings.GEMINI_FALLBACK_MODEL)]
        read, written = (
            f"{max(r[side] for r in rates) * settings.CREDITS_PER_USD / 1000:g}" for side in ("input", "output")
        )
        label = f"({model}, {read} credits per 1000 tokens read, {written} per 1000 written)"
        assert f'<option value="{preference}"' in body and label in body


def test_job_page_shows_the_engine_and_model_really_used(browser, user):
    local = make_completed_job(user)
    Job.objects.filter(pk=local.pk).update(model_name="fr_core_news_sm", model_preference="quality")
    gemini = make_completed_job(user)
    Job.objects.filter(pk=gemini.pk).update(engine="gemini", model_name="gemini-2.5-flash", model_preference="balanced")

    assert "local French engine (fr_core_news_sm)" in browser.get(f"/jobs/{local.pk}/").content.decode()
    assert "Gemini, gemini-2.5-flash (balanced)" in browser.get(f"/jobs/{gemini.pk}/").content.decode()


def test_a_finished_job_with_failed_chunks_offers_to_retry_them(browser, user):
    job = make_started_job(user, chunks=2, parallel=2)
    record(Chunk.objects.get(job=job, index=0))
    chunk = Chunk.objects.get(job=job, index=1)
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    services.chunk_fail(chunk_id=chunk.pk, token=claimed.token, error_code="ENGINE_ERROR", message="broken")

    body = browser.get(f"/jobs/{job.pk}/").content.decode()

    assert f'data-retry-url="/api/v1/jobs/{job.pk}/chunks/retry"' in body
    assert '<button type="button" id="retry-button" class="button">Retry failed chunks</button>' in body
    done = make_completed_job(user)
    assert 'id="retry-button" class="button" hidden>' in browser.get(f"/jobs/{done.pk}/").content.decode()


def test_job_page_shows_one_page_of_sentences_and_links_each_chapter_to_its_page(browser, user):
    job = make_completed_job(user, chunks=3, sentences_per_chunk=150)
    job.chapters = [
        {"number": 0, "title": "", "first": 1, "last": 260},
        {"number": 1, "title": "LA FIN", "first": 261, "last": 450},
    ]
    job.save(update_fields=["chapters"])

    body = browser.get(f"/jobs/{job.pk}/?page=2").content.decode()
    assert '<ol id="sentences" class="sentences" lang="fr" start="201">' in body
    assert '<li id="s-201">Phrase 1-50.</li>' in body and '<li id="s-400">Phrase 2-99.</li>' in body
    assert "Phrase 1-49." not in body and "Phrase 2-100." not in body
    assert 'href="?page=2#s-261" data-first="261">LA FIN</a>' in body and 'href="?page=1#s-1"' in body
    assert 'id="pager-number">2</span> of <span id="pager-count">3</span>' in body
    last = browser.get(f"/jobs/{job.pk}/?page=99").content.decode()
    assert '<li id="s-450">Phrase 2-149.</li>' in last
    assert 'id="pager-next" href="?page=3" data-page="3" rel="next" hidden' in last
    assert 'id="s-1">Phrase 0-0.' in browser.get(f"/jobs/{job.pk}/?page=deux").content.decode()


def test_job_page_and_api_name_the_models_really_used_and_the_charge(browser, user):
    job = make_completed_job(user)
    Job.objects.filter(pk=job.pk).update(models_used=["gemini-2.5-flash-lite", "local"], actual_credits=7)

    body = browser.get(f"/jobs/{job.pk}/").content.decode()
    api = browser.get(f"/api/v1/jobs/{job.pk}").json()

    assert "Written by: gemini-2.5-flash-lite, the local engine · charged 7 credits" in body
    assert api["models_used"] == ["gemini-2.5-flash-lite", "local"] and api["actual_credits"] == 7
