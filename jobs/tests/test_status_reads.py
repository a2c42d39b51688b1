"""The status read that every poller repeats: a few indexed queries, no
sentences loaded, a stored sentence count, and 304 when nothing changed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import Job
from jobs.tests.factories import make_completed_job, make_started_job, record

pytestmark = pytest.mark.django_db


def test_a_status_read_is_a_few_queries_and_never_reads_the_sentences(api):
    job = make_completed_job(api.user, chunks=3)
    api.get(f"/api/v1/jobs/{job.pk}")  # warm: content types, the user's first read

    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/jobs/{job.pk}")

    assert response.status_code == 200 and response.json()["sentence_count"] == 6
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) <= 3, sql  # the token's user, the job; nothing counts sentences
    assert not any('"sentences"' in q for q in sql), sql


def test_the_sentence_count_is_stored_as_chunks_finish(user):
    job = make_started_job(user, chunks=2)
    first, second = job.chunks.order_by("index")
    from jobs.tests.factories import make_outcome

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
