"""Bad requests get the one error shape ({"error", "error_code"}) and the
right status, never a 500 or an HTML page (issue #14's list, case by case)."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from credits.selectors import credit_balance
from jobs.models import Job
from jobs.tests.factories import make_completed_job, make_job

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONFIRM = {"original_filename": "novel.pdf", "page_count": 40, "model_preference": "speed"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["error_code"] == code and body["error"], body
    return body


def confirm(api, body: dict, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post("/api/v1/jobs/confirm", body, format="json", **headers)


# --- File names and Content-Disposition ---------------------------------------------


@pytest.mark.parametrize("name", ["two\nlines.pdf", "nul\x00.pdf", "tab\there.pdf"])
def test_a_file_name_with_control_characters_is_refused_at_confirm(api, name):
    body = assert_error(confirm(api, {**CONFIRM, "original_filename": name}), 400, "VALIDATION_ERROR")
    assert "original_filename" in body["fields"]
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ('roman\n"d\'été".pdf', "attachment; filename*=utf-8''roman%0A%22d%27%C3%A9t%C3%A9%22-sentences.csv"),
        ('say "hi".pdf', 'attachment; filename="say \\"hi\\"-sentences.csv"'),
    ],
)
def test_the_export_quotes_any_stored_file_name_with_djangos_helper(api, name, header):
    # Rows confirmed before names were checked may hold a newline: the export still answers.
    job = make_completed_job(api.user)
    Job.objects.filter(pk=job.pk).update(original_filename=name)

    response = api.get(f"/api/v1/jobs/{job.pk}/export?format=csv")

    assert response.status_code == 200 and response["Content-Disposition"] == header


# --- Query parameters and paths -------------------------------------------------------


@pytest.mark.parametrize("status", ["\x00", "done", "pending'--"])
def test_an_unknown_status_filter_is_400(api, status):
    make_job(api.user)
    body = assert_error(api.get("/api/v1/jobs/", {"status": status}), 400, "VALIDATION_ERROR")
    assert "status" in body["fields"]


def test_a_known_status_filter_still_filters(api):
    make_job(api.user)
    assert api.get("/api/v1/jobs/", {"status": "pending"}).json()["count"] == 1
    assert api.get("/api/v1/jobs/", {"status": "completed"}).json()["count"] == 0


def test_a_page_past_the_end_is_a_json_404(api):
    assert_error(api.get("/api/v1/jobs/", {"page": 99}), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["/api/v1/jobs/abc/", "/api/v1/jobs/abc", "/api/v1/no-such-thing/", "/api/nope"])
def test_an_api_path_no_route_matches_is_a_json_404(api, path):
    assert_error(api.get(path), 404, "NOT_FOUND")


def test_a_page_path_no_route_matches_keeps_the_html_404(browser):
    response = browser.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


# --- Idempotency-Key ------------------------------------------------------------------


def test_a_replayed_key_with_the_same_body_returns_the_same_job(api):
    first = confirm(api, CONFIRM, key="k-1")
    again = confirm(api, CONFIRM, key="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["job_id"] == again.json()["job_id"]


@pytest.mark.parametrize(
    "other",
    [
        {**CONFIRM, "page_count": 41},
        {**CONFIRM, "original_filename": "other.pdf"},
        {**CONFIRM, "model_preference": "quality"},
        {**CONFIRM, "processing_settings": {"sentence_length_limit": 12}},
    ],
)
def test_a_replayed_key_with_another_body_is_422_and_reserves_nothing(api, other):
    first = confirm(api, CONFIRM, key="k-1")
    balance = credit_balance(user=api.user)

    assert_error(confirm(api, other, key="k-1"), 422, "IDEMPOTENCY_KEY_REUSED")

    assert Job.objects.count() == 1 and credit_balance(user=api.user) == balance
    assert confirm(api, CONFIRM, key="k-1").json()["job_id"] == first.json()["job_id"]


def test_a_key_longer_than_100_characters_is_refused_not_cut(api):
    assert_error(confirm(api, CONFIRM, key="k" * 101), 400, "BAD_IDEMPOTENCY_KEY")
    assert not Job.objects.exists()
    assert confirm(api, CONFIRM, key="k" * 100).status_code == 201
    assert Job.objects.get().confirm_key == "k" * 100


# --- Processing settings ----------------------------------------------------------------


def test_a_minimum_above_the_limit_is_refused_at_confirm(api):
    body = assert_error(
        confirm(api, {**CONFIRM, "processing_settings": {"sentence_length_limit": 4, "min_sentence_length": 5}}),
        400,
        "VALIDATION_ERROR",
    )
    assert "min_sentence_length" in json.dumps(body["fields"])
    assert not Job.objects.exists()


def test_a_minimum_above_the_limit_is_refused_at_start(api, story_pdf):
    job_id = confirm(api, CONFIRM).json()["job_id"]
    with open(story_pdf(5), "rb") as pdf:
        response = api.post(
            f"/api/v1/jobs/{job_id}/start",
            {"pdf_file": pdf, "sentence_length_limit": 3, "min_sentence_length": 4},
            format="multipart",
        )
    assert_error(response, 400, "VALIDATION_ERROR")
    assert Job.objects.get(pk=job_id).queued_at is None


def test_the_database_refuses_a_minimum_above_the_limit(user):
    job = make_job(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(sentence_length_limit=3, min_sentence_length=4)


# --- Bodies the parser cannot read -------------------------------------------------------


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=xyz", "multipart/form-data"])
def test_an_empty_multipart_body_is_a_json_400(api, content_type):
    # Django's side; the server in front must hand the body over unparsed
    # (daphne's Twisted parses multipart itself and answered a bare 400).
    job_id = confirm(api, CONFIRM).json()["job_id"]
    for url in ("/api/v1/jobs/estimate", f"/api/v1/jobs/{job_id}/start"):
        body = assert_error(api.generic("POST", url, b"", content_type=content_type), 400, "VALIDATION_ERROR")
        assert "pdf_file" in body["fields"]


def test_broken_json_is_a_json_400(api):
    response = api.generic("POST", "/api/v1/jobs/confirm", b'{"page_count": ', content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR")


# --- Tokens -------------------------------------------------------------------------------


def test_token_errors_have_the_one_shape(user):
    client = APIClient()
    assert_error(
        client.post("/api/v1/auth/token/", {"username": user.username}, format="json"), 400, "VALIDATION_ERROR"
    )
    assert_error(
        client.post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"}, format="json"),
        401,
        "NOT_AUTHENTICATED",
    )
    assert_error(
        client.post("/api/v1/auth/token/refresh/", {"refresh": "junk"}, format="json"), 401, "NOT_AUTHENTICATED"
    )


# --- Exports and Accept -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/csv", "text/csv; charset=utf-8"),
        ("application/json", "application/json"),
        ("text/plain", "text/plain; charset=utf-8"),
        (XLSX, XLSX),
        ("*/*", "text/csv; charset=utf-8"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/csv; charset=utf-8"),
        ("image/png, application/json;q=0.5", "application/json"),
    ],
)
def test_the_export_serves_the_media_type_the_client_accepts(api, accept, content_type):
    job = make_completed_job(api.user)
    response = api.get(f"/api/v1/jobs/{job.pk}/export", HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == content_type
    if content_type == "application/json":
        assert [row["sentence"] for row in json.loads(response.content)["sentences"]] == job.sentences


def test_an_explicit_format_wins_over_accept(api):
    job = make_completed_job(api.user)
    response = api.get(f"/api/v1/jobs/{job.pk}/export?format=txt", HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == job.sentences


def test_an_export_nobody_can_accept_is_406_in_json(api):
    job = make_completed_job(api.user)
    assert_error(api.get(f"/api/v1/jobs/{job.pk}/export", HTTP_ACCEPT="image/png"), 406, "NOT_ACCEPTABLE")


def test_export_errors_are_json_whatever_was_accepted(api):
    job = make_job(api.user)
    assert_error(api.get(f"/api/v1/jobs/{job.pk}/export", HTTP_ACCEPT="text/csv"), 425, "NOT_READY")
    assert_error(api.get("/api/v1/jobs/999999/export", HTTP_ACCEPT="text/csv"), 404, "NOT_FOUND")


# --- Stats ----------------------------------------------------------------------------------


def test_stats_show_a_user_their_own_jobs_and_staff_everyones(api, user_factory):
    other = user_factory("mallory")
    make_job(other)
    make_job(other)
    make_job(api.user)

    own = api.get("/api/v1/jobs/stats").json()
    assert own["scope"] == "own" and own["by_status"]["pending"] == 1 and own["active_jobs"] == 1

    other.is_staff = True
    other.save()
    staff = Client()
    staff.force_login(other)
    everyone = staff.get("/api/v1/jobs/stats").json()
    assert everyone["scope"] == "all" and everyone["by_status"]["pending"] == 3 and everyone["active_jobs"] == 3


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_the_server_hands_an_empty_multipart_body_to_django(asgi_server_factory, live_client):
    # daphne (Twisted) parsed multipart itself and answered a bare 400; uvicorn streams the body to Django.
    import httpx

    server = asgi_server_factory()
    client = live_client(server.url)
    job_id = client.confirm("e.pdf", 10)
    for content_type in ("multipart/form-data; boundary=xyz", "multipart/form-data"):
        response = httpx.post(
            f"{server.url}/api/v1/jobs/{job_id}/start",
            content=b"",
            headers={"Content-Type": content_type, "Authorization": f"Bearer {client.token}"},
        )
        assert response.status_code == 400 and response.json()["error_code"] == "VALIDATION_ERROR", response.text
    missing = httpx.get(f"{server.url}/api/v1/jobs/abc/", headers={"Authorization": f"Bearer {client.token}"})
    assert missing.status_code == 404 and missing.json()["error_code"] == "NOT_FOUND"
