"""The status read that every poller repeats: a few indexed queries, no
sentences loaded, a stored sentence count, and 304 when nothing changed."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from jobs import selectors, services
from jobs.api import BodiesByTag
from jobs.models import Job
from jobs.pipeline.figures import QualityFigures
from jobs.serializers import JobDetailSerializer
from jobs.tests.factories import make_completed_job, make_outcome, make_started_job, record

pytestmark = pytest.mark.django_db


def test_a_status_read_is_a_few_queries_and_never_reads_the_sentences(api):
    job = make_completed_job(api.user, chunks=3)
    api.get(f"/api/v1/jobs/{job.pk}")  # warm: content types, the user's first read

    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/jobs/{job.pk}")

    assert response.status_code == 200 and response.json()["sentence_count"] == 6
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 1, sql  # the job, its owner joined (no query of its own for the token's user)
    assert 'INNER JOIN "auth_user"' in sql[0], sql
    assert not any('"sentences"' in q for q in sql), sql  # nothing loads or counts sentences


def test_the_sentence_count_is_stored_as_chunks_finish(user):
    job = make_started_job(user, chunks=2)
    first, second = job.chunks.order_by("index")
    record(first, make_outcome(["Un.", "Deux.", "Trois."]))
    assert Job.objects.get(pk=job.pk).sentence_count == 3
    record(second, make_outcome(["Quatre."]))
    job.refresh_from_db()
    assert job.status == "completed" and job.sentence_count == len(job.sentences) == 4


def test_an_unchanged_job_is_a_304_and_a_changed_one_is_not(api):
    job = make_started_job(api.user, chunks=2)
    first = api.get(f"/api/v1/jobs/{job.pk}")
    etag = first["ETag"]

    again = api.get(f"/api/v1/jobs/{job.pk}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""

    record(job.chunks.get(index=0))
    changed = api.get(f"/api/v1/jobs/{job.pk}", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["processed_chunks"] == 1


# --- The conditional GET: the ETag is digested from the row, before any serializer ----------


def status_read(api, job: Job, etag: str | None = None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return api.get(f"/api/v1/jobs/{job.pk}", **headers)


def rendered_now(user, job: Job) -> dict:
    """The status body as the serializer renders it now (not from the view's
    BodiesByTag), through JSON as a client receives it."""
    read = selectors.get_owned_job_status(user=user, job_id=job.pk)
    body = JobDetailSerializer(read, context={"queue_position": selectors.queue_position(job=read)}).data
    return json.loads(JSONRenderer().render(body))


class Reads:
    """Every (ETag, body) a poller has seen of one job: each new read must
    answer 304 to an ETag seen with the same body, and 200 to every ETag seen
    with another."""

    def __init__(self, api, job: Job):
        self.api, self.job, self.seen = api, job, []

    def check(self) -> dict:
        response = status_read(self.api, self.job)
        assert response.status_code == 200
        body, etag = response.json(), response["ETag"]
        assert body == rendered_now(self.api.user, self.job), "a body kept under its ETag went stale"
        for old_etag, old_body in self.seen:
            again = status_read(self.api, self.job, old_etag)
            if old_body == body:
                assert again.status_code == 304 and again["ETag"] == etag
            else:
                assert again.status_code == 200, f"a stale ETag got 304: {old_body} became {body}"
                assert again.json() == body
        self.seen.append((etag, body))
        return body


@pytest.mark.usefixtures("no_queue")
def test_the_etag_changes_whenever_the_body_does_through_a_job_s_life(api):
    job = make_started_job(api.user, chunks=3)
    reads = Reads(api, job)
    reads.check()
    first, second, third = job.chunks.order_by("index")

    claimed = services.chunk_claim(chunk_id=first.pk)  # processing, current_step
    assert reads.check()["status"] == "processing"
    services.chunk_record(chunk_id=first.pk, token=claimed.token, outcome=make_outcome(["Un.", "Deux."]))
    assert reads.check()["processed_chunks"] == 1
    services.job_note_step(job_id=job.pk, step="Reading pages 11-20")
    assert reads.check()["current_step"] == "Reading pages 11-20"
    claimed = services.chunk_claim(chunk_id=second.pk)
    services.chunk_fail(chunk_id=second.pk, token=claimed.token, error_code="ENGINE_ERROR", message="x")
    assert reads.check()["failed_chunks"] == [1]
    record(third)  # the last chunk: the job finishes
    assert reads.check()["status"] == "completed"

    Job.objects.filter(pk=job.pk).update(pdf_file="uploads/present.pdf")
    services.job_retry_failed_chunks(user=api.user, job_id=job.pk)
    assert reads.check()["failed_chunks"] == []
    record(second)
    finished = reads.check()
    assert finished["status"] == "completed" and finished["sentence_count"] == 4
    services.job_finalize(user=api.user, job_id=job.pk)
    reads.check()
    assert len({etag for etag, _ in reads.seen}) == len({repr(body) for _, body in reads.seen})


@pytest.mark.usefixtures("no_queue")
def test_a_cancel_changes_the_etag(api):
    job = make_started_job(api.user, chunks=2)
    reads = Reads(api, job)
    reads.check()
    services.job_cancel(user=api.user, job_id=job.pk)
    assert reads.check()["status"] == "cancelled"


def different_value(field, value):
    """Candidate values for `field` other than `value`, the likeliest first."""
    if field.get_internal_type() == "BooleanField":
        return [not value]
    if field.choices:
        return [choice for choice, _ in field.choices if choice != value]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int | float):
        return [value + 1, value - 1]
    if isinstance(value, str):
        return [value + "x", "x"]
    if isinstance(value, dict) and value:  # keep its shape: the body still renders it
        key = next(iter(value))
        return [{**value, key: value[key] + 1}]
    if isinstance(value, list):
        return [[*value, "local"]]
    if field.get_internal_type() == "JSONField":
        return [{"changed": 1}]
    if field.get_internal_type() == "DateTimeField":
        return [timezone.now() - timedelta(days=1)]
    if value is None and field.get_internal_type() in ("FloatField", "PositiveIntegerField"):
        return [1]
    raise AssertionError(f"no other value for {field.name} ({field.get_internal_type()}, {value!r})")


def test_a_change_to_any_column_the_read_loads_changes_the_etag(api):
    """Whatever writes the row (a service, the admin, a future field), the
    status read's ETag follows it: it is digested from every column loaded."""
    job = make_started_job(api.user, chunks=3)
    Job.objects.filter(pk=job.pk).update(
        processed_chunks=1, progress_percent=33, **dict.fromkeys(QualityFigures.COUNTED, 5)
    )
    skipped = {"id", "owner", "deleted_at", *selectors.RESULT_COLUMNS}
    columns = [f for f in Job._meta.concrete_fields if f.name not in skipped]
    assert {"sentence_length_limit", "status", "current_step", "billing_round"} <= {f.name for f in columns}
    for field in columns:
        etag = status_read(api, job)["ETag"]
        value = Job.objects.values_list(field.attname, flat=True).get(pk=job.pk)
        for candidate in different_value(field, value):
            try:
                with transaction.atomic():
                    Job.objects.filter(pk=job.pk).update(**{field.attname: candidate})
                break
            except IntegrityError:  # a check constraint: try the next value
                continue
        else:
            raise AssertionError(f"{field.name}: no value the constraints accept")
        assert status_read(api, job, etag).status_code == 200, f"{field.name} changed, the ETag did not"


def test_a_job_behind_another_gets_a_new_etag_when_its_queue_position_moves(api, user_factory, no_queue):
    ahead = make_started_job(user_factory(), chunks=1)
    job = make_started_job(api.user, chunks=1)
    first = status_read(api, job)
    assert first.json()["queue_position"] == 2

    services.chunk_claim(chunk_id=ahead.chunks.get().pk)  # the job ahead starts
    moved = status_read(api, job, first["ETag"])
    assert moved.status_code == 200 and moved.json()["queue_position"] == 1


def test_a_304_runs_no_serializer(api):
    job = make_started_job(api.user, chunks=2)
    etag = status_read(api, job)["ETag"]
    with mock.patch("jobs.api.JobDetailSerializer", side_effect=AssertionError("serialized")):
        response = status_read(api, job, etag)
    assert response.status_code == 304 and response["ETag"] == etag
    assert status_read(api, job, f'"other", {etag}').status_code == 304  # a list, strong form: weak comparison
    assert status_read(api, job, "*").status_code == 304


def test_pollers_of_one_unchanged_job_share_one_rendering_and_a_change_renders_anew(api):
    job = make_started_job(api.user, chunks=2)
    with mock.patch("jobs.api.JobDetailSerializer", wraps=JobDetailSerializer) as serializer:
        bodies = [status_read(api, job).json() for _ in range(3)]  # pollers with no ETag yet
        assert serializer.call_count == 1 and bodies[0] == bodies[1] == bodies[2]
        record(job.chunks.get(index=0))
        changed = status_read(api, job).json()
    assert serializer.call_count == 2 and changed["processed_chunks"] == 1
    assert changed == rendered_now(api.user, job)


def test_the_bodies_kept_by_etag_are_bounded_and_the_least_recently_used_goes_first():
    kept = BodiesByTag(size=2)
    kept.put("a", {"n": 1})
    kept.put("b", {"n": 2})
    assert kept.get("a") == {"n": 1}  # now the most recent
    kept.put("c", {"n": 3})
    assert kept.get("b") is None and kept.get("a") == {"n": 1} and kept.get("c") == {"n": 3}
    assert len(kept.bodies) == 2


@pytest.mark.parametrize("job_id", [2**63, 10**30])
def test_an_id_past_the_database_s_integers_is_a_404(api, job_id):
    response = api.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"


def test_the_json_and_the_browsable_api_have_different_etags(api, browser):
    job = make_started_job(api.user, chunks=2)
    json_etag = status_read(api, job)["ETag"]
    html = browser.get(f"/api/v1/jobs/{job.pk}", HTTP_ACCEPT="text/html", HTTP_IF_NONE_MATCH=json_etag)
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert html["ETag"] != json_etag


def test_an_etag_opens_nothing_to_a_deactivated_user_another_user_or_a_deleted_job(api, user_factory):
    job = make_completed_job(api.user, chunks=1)
    etag = status_read(api, job)["ETag"]

    other = APIClient()
    other.force_authenticate(user_factory())
    assert other.get(f"/api/v1/jobs/{job.pk}", HTTP_IF_NONE_MATCH=etag).status_code == 404

    services.job_delete(user=api.user, job_id=job.pk)
    assert status_read(api, job, etag).status_code == 404

    kept = make_completed_job(api.user, chunks=1)
    etag = status_read(api, kept)["ETag"]
    type(api.user).objects.filter(pk=api.user.pk).update(is_active=False)
    refused = status_read(api, kept, etag)
    assert refused.status_code == 401 and refused.json()["error_code"] == "NOT_AUTHENTICATED"
    assert refused.json()["error"] == "User is inactive" and refused["WWW-Authenticate"].startswith("Bearer")
    # the other endpoints load the user through simplejwt, and refuse it alike
    assert api.get(f"/api/v1/jobs/{kept.pk}/chunks").status_code == 401


def test_a_session_reads_the_status_as_a_token_does(browser, user):
    job = make_started_job(user, chunks=1)
    response = browser.get(f"/api/v1/jobs/{job.pk}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["job_id"] == job.pk
    assert APIClient().get(f"/api/v1/jobs/{job.pk}").status_code == 401  # and nobody reads it without either


def test_fields_built_once_still_render_each_job_with_its_own_context(user, user_factory):
    pending = make_started_job(user, chunks=2)
    completed = make_completed_job(user_factory(), chunks=1)

    told = JobDetailSerializer(pending, context={"queue_position": 7}).data
    counted = JobDetailSerializer(pending).data
    done = JobDetailSerializer(completed).data

    assert told["queue_position"] == 7 and counted["queue_position"] == 1
    assert (done["job_id"], done["status"], done["sentence_count"]) == (completed.pk, "completed", 2)
    assert JobDetailSerializer(pending).fields["quality"] is not JobDetailSerializer(pending).fields["quality"]
