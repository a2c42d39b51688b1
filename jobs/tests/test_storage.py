"""Uploads through the storage API (jobs.storage): the filesystem by default,
an S3-protocol server (moto's server mode, started by the tests) when
configured; workers read the PDF through the storage, and retention deletes
through it."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from jobs import services
from jobs.models import Job, JobStatus
from jobs.storage import local_path
from jobs.tests.factories import make_job


def stored_keys(s3_server, bucket: str) -> list[str]:
    return [item["Key"] for item in s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", [])]


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_on_the_filesystem_the_path_is_the_stored_file_itself(user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = make_job(user)
    job.pdf_file.save("book.pdf", ContentFile(b"%PDF-1.4 test"), save=False)

    with local_path(job.pdf_file) as path:
        assert Path(path) == tmp_path / job.pdf_file.name

    assert (tmp_path / job.pdf_file.name).exists()  # nothing was copied, nothing removed


def test_from_object_storage_a_copy_is_made_and_removed(user, s3_bucket, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    job = make_job(user)
    job.pdf_file.save("book.pdf", ContentFile(b"%PDF-1.4 the object"), save=False)

    with local_path(job.pdf_file) as path:
        assert Path(path).parent == tmp_path and Path(path).read_bytes() == b"%PDF-1.4 the object"

    assert files_under(tmp_path) == []


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_from_object_storage_and_retention_deletes_the_object(
    api, story_pdf, s3_server, s3_bucket, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHUNK_SIZE_OVERRIDE = 6
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    copies: list[str] = []
    real_local_path = local_path

    def counting_local_path(upload):
        copies.append(upload.name)
        return real_local_path(upload)

    monkeypatch.setattr("jobs.processing.local_path", counting_local_path)
    job_id = api.post("/api/v1/jobs/confirm", {"original_filename": "s.pdf", "page_count": 12}, format="json").json()[
        "job_id"
    ]
    with open(story_pdf(12), "rb") as handle:  # tasks run inline here: start processes the whole book
        assert api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code == 202

    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.COMPLETED and len(job.sentences) > 20
    assert stored_keys(s3_server, s3_bucket) == [job.pdf_file.name]
    assert len(copies) == job.total_chunks == 2  # fetched once per chunk
    assert files_under(tmp_path / "media") == [] and list(tmp_path.glob("novelproc-*")) == []

    Job.objects.filter(pk=job_id).update(
        queued_at=timezone.now() - timedelta(hours=settings.UPLOAD_RETENTION_HOURS + 1)
    )
    assert services.sweep_stale_work().files_deleted == 1
    assert stored_keys(s3_server, s3_bucket) == []


@pytest.mark.django_db(transaction=True)
def test_a_refused_start_leaves_nothing_in_the_bucket(api, s3_server, s3_bucket, settings, story_pdf):
    settings.MONTHLY_GRANT_CREDITS = 3  # the confirm's estimate fits; the real book's top-up does not
    job_id = api.post("/api/v1/jobs/confirm", {"original_filename": "s.pdf", "page_count": 1}, format="json").json()[
        "job_id"
    ]
    with open(story_pdf(40), "rb") as handle:
        assert api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code == 402

    assert stored_keys(s3_server, s3_bucket) == []


@pytest.mark.e2e
@pytest.mark.postgres  # with SQLite, the database file itself is a folder that web and worker share
@pytest.mark.timeout(240)
def test_seed_flow_on_object_storage_with_no_shared_folder(
    live_server, cluster_factory, live_client, s3_server, s3_bucket, settings, story_pdf, tmp_path
):
    """The web process (this one) and the worker cluster have a MEDIA_ROOT each
    and reach the upload only through the bucket, as on separate machines."""
    web_media, worker_media = tmp_path / "web-media", tmp_path / "worker-media"
    settings.MEDIA_ROOT = web_media
    settings.CHUNK_SIZE_OVERRIDE = 4
    cluster_factory(MEDIA_ROOT=str(worker_media), **s3_server.env(s3_bucket))
    client = live_client(live_server.url)

    job_id = client.confirm_and_start(story_pdf(12), 12, sentence_length_limit=8)
    job, _ = client.follow(job_id, timeout=120)

    assert job["status"] == "completed" and job["total_chunks"] == 3 and job["failed_chunks"] == []
    assert len(client.http.get(f"/jobs/{job_id}/result").json()["sentences"]) > 20
    assert stored_keys(s3_server, s3_bucket) == [Job.objects.get(pk=job_id).pdf_file.name]
    assert files_under(web_media) == [] and files_under(worker_media) == []
