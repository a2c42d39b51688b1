"""The HTTP API (SPEC §5). Tasks run inline here (Q_CLUSTER sync); the
end-to-end tests run the same flow on a real qcluster."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from credits.models import CreditLedger
from jobs.models import Job
from jobs.pipeline.words import count_words

pytestmark = pytest.mark.django_db(transaction=True)


def confirm(api, pages: int = 40, **extra):
    body = {"original_filename": "story.pdf", "page_count": pages, "model_preference": "speed", **extra}
    return api.post(
        "/api/v1/jobs/confirm",
        body,
        format="json",
        **({"HTTP_IDEMPOTENCY_KEY": extra.pop("key")} if "key" in extra else {}),
    )


def start(api, job_id: int, path, **fields):
    with open(path, "rb") as handle:
        return api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle, **fields}, format="multipart")


def test_seed_flow_confirm_start_poll_result_finalize(api, story_pdf):
    confirmed = confirm(api, pages=40, processing_settings={"sentence_length_limit": 8})
    assert confirmed.status_code == 201, confirmed.json()
    body = confirmed.json()
    assert (
        body["reserved"] is True and body["status"] == "pending" and body["balance"] == 2000 - body["estimated_credits"]
    )

    started = start(api, body["job_id"], story_pdf(40))
    assert started.status_code == 202, started.json()
    assert started.json()["status_url"].endswith(f"/api/v1/jobs/{body['job_id']}")

    job = api.get(f"/api/v1/jobs/{body['job_id']}").json()
    assert job["status"] == "completed" and job["progress_percent"] == 100
    assert job["total_chunks"] == 2 and job["processed_chunks"] == 2 and job["failed_chunks"] == []
    assert job["task_state"]["state"] == "SUCCESS" and job["gemini_tokens_used"] > 0

    result = api.get(f"/api/v1/jobs/{body['job_id']}/result").json()
    assert result["sentence_count"] > 100
    assert all(1 <= count_words(s) <= 8 for s in result["sentences"])
    quality = job["quality"]  # measured by the local engine on this book
    assert (
        quality["sentences"] == result["sentence_count"]
        and quality["sentences_over_limit"] == 0 == quality["over_limit_share"]
    )
    assert quality["words"] == sum(count_words(s) for s in result["sentences"])
    assert 0 < quality["complete_lines"] <= quality["lines_judged"] == quality["sentences"]
    assert quality["complete_share"] == quality["complete_lines"] / quality["lines_judged"]
    assert 0 < quality["source_complete_share"] <= 1 and quality["content_coverage"] > 0.9
    assert quality["words_per_second"] > 0

    final = api.post(f"/api/v1/jobs/{body['job_id']}/finalize").json()
    assert final["actual_credits"] == Job.objects.get().actual_credits > 0
    assert final["actual_credits"] + final["refunded"] == final["estimated_credits"]
    credits = api.get("/api/v1/credits/me").json()
    assert (
        credits["balance"] == 2000 - final["actual_credits"]
        and credits["reserved"] == 0
        and credits["used"] == final["actual_credits"]
    )
    ledger = api.get("/api/v1/credits/ledger").json()["results"]
    assert sum(row["amount"] for row in ledger) == credits["balance"]
    assert api.post(f"/api/v1/jobs/{body['job_id']}/finalize").json() == final  # idempotent


def test_confirm_with_the_same_idempotency_key_answers_the_same(api):
    first = api.post(
        "/api/v1/jobs/confirm",
        {"original_filename": "a.pdf", "page_count": 50},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    second = api.post(
        "/api/v1/jobs/confirm",
        {"original_filename": "a.pdf", "page_count": 50},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["job_id"] == second.json()["job_id"]
    assert CreditLedger.objects.filter(kind="reserve").count() == 1


def test_confirm_beyond_the_balance_is_402(api, settings):
    settings.MONTHLY_GRANT_CREDITS = 10
    response = confirm(api, pages=400)
    assert response.status_code == 402
    assert response.json()["error_code"] == "INSUFFICIENT_CREDITS"
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"page_count": 10}, "original_filename"),
        ({"original_filename": "a", "page_count": 0}, "page_count"),
        ({"original_filename": "a", "page_count": 5, "model_preference": "turbo"}, "model_preference"),
        (
            {"original_filename": "a", "page_count": 5, "processing_settings": {"sentence_length_limit": 99}},
            "sentence_length_limit",
        ),
        (
            {"original_filename": "a", "page_count": 5, "processing_settings": {"rewrite": "shorten"}},
            "rewrite",
        ),
    ],
)
def test_confirm_validation_errors_use_the_error_shape(api, body, field):
    response = api.post("/api/v1/jobs/confirm", body, format="json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "VALIDATION_ERROR" and field in json.dumps(response.json())


def test_the_rewrite_mode_is_a_processing_setting_saved_on_the_job(api):
    split = api.post(
        "/api/v1/jobs/confirm",
        {"original_filename": "a.pdf", "page_count": 5, "processing_settings": {"rewrite": "split"}},
        format="json",
    ).json()
    plain = confirm(api).json()

    assert Job.objects.get(pk=split["job_id"]).rewrite == "split"
    assert Job.objects.get(pk=plain["job_id"]).rewrite == "simplify"  # the default
    assert api.get(f"/api/v1/jobs/{split['job_id']}").json()["processing_settings"]["rewrite"] == "split"


def test_starting_twice_is_409(api, story_pdf):
    job_id = confirm(api).json()["job_id"]
    assert start(api, job_id, story_pdf(40)).status_code == 202
    again = start(api, job_id, story_pdf(40))
    assert again.status_code == 409 and again.json()["error_code"] in {"ALREADY_STARTED", "INVALID_STATE"}


def test_start_without_a_file_is_400(api):
    job_id = confirm(api).json()["job_id"]
    response = api.post(f"/api/v1/jobs/{job_id}/start", {}, format="multipart")
    assert response.status_code == 400 and response.json()["error_code"] == "VALIDATION_ERROR"


def test_result_and_export_are_425_before_the_job_finishes(api):
    job_id = confirm(api).json()["job_id"]
    assert api.get(f"/api/v1/jobs/{job_id}/result").status_code == 425
    assert api.get(f"/api/v1/jobs/{job_id}/export?format=csv").status_code == 425
    assert api.post(f"/api/v1/jobs/{job_id}/finalize").status_code == 409


def test_cancel_a_pending_job_releases_everything(api):
    body = confirm(api).json()
    response = api.post(f"/api/v1/jobs/{body['job_id']}/cancel")
    assert response.status_code == 200
    assert response.json() == {
        "message": "Job cancelled successfully",
        "job_id": body["job_id"],
        "status": "cancelled",
        "refunded_credits": body["estimated_credits"],
        "charged_credits": 0,
    }
    assert api.get("/api/v1/credits/me").json()["balance"] == 2000
    assert api.post(f"/api/v1/jobs/{body['job_id']}/cancel").status_code == 409


def test_exports_open_with_the_sentences(api, story_pdf):
    job_id = confirm(api).json()["job_id"]
    start(api, job_id, story_pdf(40))
    sentences = api.get(f"/api/v1/jobs/{job_id}/result").json()["sentences"]
    csv_body = api.get(f"/api/v1/jobs/{job_id}/export?format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_body)))
    assert rows[0] == ["Index", "Sentence", "Chapter"] and [r[1] for r in rows[1:]] == sentences
    xlsx = load_workbook(io.BytesIO(api.get(f"/api/v1/jobs/{job_id}/export?format=xlsx").content))
    assert [row[1] for row in xlsx.active.iter_rows(min_row=2, values_only=True)] == sentences
    as_json = json.loads(api.get(f"/api/v1/jobs/{job_id}/export?format=json").content)
    assert [row["sentence"] for row in as_json["sentences"]] == sentences
    assert api.get(f"/api/v1/jobs/{job_id}/export?format=txt").content.decode().splitlines() == sentences
    assert api.get(f"/api/v1/jobs/{job_id}/export?format=doc").status_code == 400


def test_another_users_job_is_404_on_every_endpoint(api, user_factory, story_pdf):
    from rest_framework.test import APIClient

    job_id = confirm(api).json()["job_id"]
    other = APIClient()
    other.force_authenticate(user_factory("mallory"))
    for method, path in [
        ("get", ""),
        ("get", "/result"),
        ("get", "/export?format=csv"),
        ("get", "/chunks"),
        ("post", "/cancel"),
        ("post", "/finalize"),
        ("post", "/chunks/retry"),
    ]:
        response = getattr(other, method)(f"/api/v1/jobs/{job_id}{path}")
        assert response.status_code == 404, (path, response.status_code)
        assert response.json()["error_code"] == "NOT_FOUND"
    with open(story_pdf(40), "rb") as handle:
        assert other.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code == 404
    assert other.get("/api/v1/jobs/").json()["count"] == 0


def test_starts_over_the_limit_get_429_with_retry_after(api, settings, story_pdf):
    settings.RATE_LIMIT_STARTS = "2/h"
    settings.MAX_ACTIVE_JOBS_PER_USER = 10
    path = story_pdf(3)
    codes = []
    for _ in range(3):
        job_id = confirm(api, pages=3).json()["job_id"]
        codes.append(start(api, job_id, path))
    assert [r.status_code for r in codes] == [202, 202, 429]
    assert codes[2].json()["error_code"] == "RATE_LIMITED" and 0 < int(codes[2]["Retry-After"]) <= 3600


def test_active_job_limit(api, settings):
    settings.MAX_ACTIVE_JOBS_PER_USER = 2
    assert [confirm(api).status_code for _ in range(3)] == [201, 201, 429]


def test_legacy_process_pdf_async_form(api, story_pdf):
    job_id = confirm(api).json()["job_id"]
    with open(story_pdf(40), "rb") as handle:
        response = api.post(
            "/api/v1/process-pdf-async",
            {"pdf_file": handle, "job_id": job_id, "sentence_length_limit": 6, "gemini_model": "speed"},
            format="multipart",
        )
    assert response.status_code == 202 and response.json()["job_id"] == job_id
    job = Job.objects.get(pk=job_id)
    assert job.status == "completed" and job.sentence_length_limit == 6
    assert all(count_words(s) <= 6 for s in job.sentences)


def test_estimate_has_no_side_effects(api, story_pdf):
    with open(story_pdf(40), "rb") as handle:
        response = api.post(
            "/api/v1/jobs/estimate", {"pdf_file": handle, "model_preference": "speed"}, format="multipart"
        )
    body = response.json()
    assert response.status_code == 200, body
    assert body["page_count"] == 40 and body["chunk_plan"]["total_chunks"] == 2 and body["estimated_credits"] > 0
    assert body["balance_after"] == body["balance"] - body["estimated_credits"]
    assert not Job.objects.exists() and not CreditLedger.objects.exclude(kind="grant").exists()


def test_history_stats_chunks_and_schema(api, story_pdf):
    job_id = confirm(api).json()["job_id"]
    start(api, job_id, story_pdf(40))
    history = api.get("/api/v1/jobs/?status=completed").json()
    assert history["count"] == 1 and history["results"][0]["job_id"] == job_id
    chunks = api.get(f"/api/v1/jobs/{job_id}/chunks").json()
    assert chunks["summary"]["succeeded"] == 2 and [c["index"] for c in chunks["chunks"]] == [0, 1]
    stats = api.get("/api/v1/jobs/stats").json()
    assert stats["by_status"]["completed"] == 1 and "workers_alive" in stats
    schema = api.get("/api/schema/")
    assert (
        schema.status_code == 200
        and b"/api/v1/jobs/{id}/start" in schema.content
        and b"INSUFFICIENT" not in schema.content
    )
    assert api.get("/api/docs/").status_code == 200


def test_job_detail_has_the_quality_figures_of_its_recorded_chunks(api, monkeypatch):
    from jobs import services
    from jobs.tests.factories import make_outcome, make_started_job, record

    monkeypatch.setattr(services, "_enqueue_chunk", lambda chunk_id: None)  # the second chunk stays pending
    job = make_started_job(api.user, chunks=2)
    outcome = make_outcome(
        ["Il pleut.", "Il vente fort.", "La mer."],
        tokens=2,
        lines_judged=3,
        complete_lines=2,
        source_sentences=2,
        complete_source_sentences=2,
        source_content=4,
        kept_content=3,
        output_content=4,
        invented_content=1,
        words=7,
        engine_seconds=0.25,
    )
    record(job.chunks.get(index=0), outcome)

    body = api.get(f"/api/v1/jobs/{job.pk}").json()

    assert body["status"] == "processing"
    assert body["quality"] == {
        "sentences": 3,
        "sentences_over_limit": 0,
        "over_limit_share": 0.0,
        "lines_judged": 3,
        "complete_lines": 2,
        "complete_share": 2 / 3,
        "source_sentences": 2,
        "complete_source_sentences": 2,
        "source_complete_share": 1.0,
        "source_content": 4,
        "kept_content": 3,
        "content_coverage": 0.75,
        "output_content": 4,
        "invented_content": 1,
        "invented_share": 0.25,
        "words": 7,
        "words_per_second": 28.0,
    }
    assert "quality" not in api.get("/api/v1/jobs/").json()["results"][0]  # the list stays one query per page
    chunk = api.get(f"/api/v1/jobs/{job.pk}/chunks").json()["chunks"][0]
    assert (chunk["lines_judged"], chunk["complete_lines"], chunk["words"]) == (3, 2, 7)


def test_the_schema_documents_the_quality_object(api):
    import yaml

    schema = yaml.safe_load(api.get("/api/schema/").content)

    detail = schema["paths"]["/api/v1/jobs/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
        "$ref"
    ]
    job = schema["components"]["schemas"][detail.rsplit("/", 1)[1]]
    quality = schema["components"]["schemas"][job["properties"]["quality"]["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert set(quality["properties"]) == {
        "sentences",
        "sentences_over_limit",
        "over_limit_share",
        "lines_judged",
        "complete_lines",
        "complete_share",
        "source_sentences",
        "complete_source_sentences",
        "source_complete_share",
        "source_content",
        "kept_content",
        "content_coverage",
        "output_content",
        "invented_content",
        "invented_share",
        "words",
        "words_per_second",
    }
    assert (
        quality["properties"]["complete_share"]["nullable"] is True
        and quality["properties"]["words_per_second"]["type"] == "number"
    )


def test_unauthenticated_requests_are_401(client):
    response = client.get("/api/v1/jobs/")
    assert response.status_code == 401 and response.json()["error_code"] == "NOT_AUTHENTICATED"


def test_refresh_rotates_and_blacklists(user, client):
    pair = client.post("/api/v1/auth/token/", {"username": user.username, "password": user.raw_password}).json()
    rotated = client.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]})
    assert rotated.status_code == 200 and rotated.json()["refresh"] != pair["refresh"]
    assert client.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}).status_code == 401


def test_deleting_a_finished_job_hides_it_and_keeps_the_ledger(api, story_pdf):
    active = confirm(api).json()["job_id"]
    assert api.delete(f"/api/v1/jobs/{active}").status_code == 409
    job_id = confirm(api).json()["job_id"]
    start(api, job_id, story_pdf(3))
    rows = CreditLedger.objects.filter(job_id=job_id).count()

    assert api.delete(f"/api/v1/jobs/{job_id}").status_code == 204

    assert api.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert api.get(f"/api/v1/jobs/{job_id}/result").status_code == 404
    assert job_id not in [j["job_id"] for j in api.get("/api/v1/jobs/").json()["results"]]
    assert CreditLedger.objects.filter(job_id=job_id).count() == rows > 0
    assert not Job.objects.get(pk=job_id).sentences and not Job.objects.get(pk=job_id).chunks.exists()
