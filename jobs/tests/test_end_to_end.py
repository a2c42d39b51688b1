"""The whole flow over HTTP against a real `qcluster` process.

Pass 1 of bin/test runs these on SQLite + the ORM broker, pass 2 on
PostgreSQL + the Redis broker (the kill -9 test needs Redis: it is the broker
that loses running tasks); the real book's seed flow runs in pass 1 only."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import DATA_DIR
from credits.models import CreditLedger
from credits.selectors import credit_balance
from jobs.models import Chunk, ChunkStatus, Job
from jobs.pipeline.words import count_words
from jobs.tests.live import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

BOOK = DATA_DIR / "albert-savarus-115p.pdf"


def the_book(story_pdf):
    """The real 115-page novel when the shared data is here, else a self-made book."""
    return (BOOK, 115) if BOOK.exists() else (story_pdf(60), 60)


# The real book once, on the embedded default: the second pass runs whole jobs
# on PostgreSQL + Redis in the tests below, the Gemini ones and the browser's.
@pytest.mark.first_pass
def test_seed_flow_completes_on_a_real_cluster(live_server, cluster_factory, live_client, user, story_pdf, settings):
    settings.METRICS_TOKEN = "e2e-scraper"
    cluster = cluster_factory()
    client = live_client(live_server.url)
    pdf, pages = the_book(story_pdf)
    job_id = client.confirm_and_start(pdf, pages, sentence_length_limit=8)

    job, progress = client.follow(job_id, timeout=300)

    assert job["status"] == "completed", job
    assert job["processed_chunks"] == job["total_chunks"] > 1
    assert progress == sorted(progress) and len([p for p in progress if 0 < p < 100]) >= 2, progress
    sentences = client.http.get(f"/jobs/{job_id}/result").json()["sentences"]
    assert len(sentences) > 500 and max(count_words(s) for s in sentences) <= 8
    quality = job["quality"]  # what the workers measured, summed over the chunks
    assert quality["lines_judged"] == len(sentences) == quality["sentences"] and quality["sentences_over_limit"] == 0
    assert quality["words"] == sum(count_words(s) for s in sentences) and quality["words_per_second"] > 0
    chunks = Chunk.objects.filter(job_id=job_id)
    assert (
        Job.objects.get(pk=job_id).complete_lines == sum(c.complete_lines for c in chunks) == quality["complete_lines"]
    )
    assert 0.3 < quality["complete_share"] <= 1 and quality["content_coverage"] > 0.9
    final = client.http.post(f"/jobs/{job_id}/finalize").json()
    assert 0 < final["actual_credits"] <= final["estimated_credits"]
    balance = client.http.get("/credits/me").json()["balance"]
    assert balance == settings.MONTHLY_GRANT_CREDITS - final["actual_credits"] == credit_balance(user=user)
    kinds = list(CreditLedger.objects.filter(user=user).order_by("id").values_list("kind", flat=True))
    assert kinds[0] == "grant" and kinds.count("charge") == 1 and kinds.count("release") == 1
    assert_metrics_count_the_job(live_server.url, job, charged=final["actual_credits"])
    # A SIGTERM to the whole group (systemd's default) stops every process, without a SIGKILL.
    started = time.monotonic()
    assert cluster.stop() and time.monotonic() - started < 8


def assert_metrics_count_the_job(base_url: str, job: dict, *, charged: int) -> None:
    """/metrics, read with the Prometheus client's own parser, shows the one job the suite ran."""
    answer = httpx.get(f"{base_url}/metrics", headers={"Authorization": "Bearer e2e-scraper"}, timeout=30)
    assert answer.status_code == 200, answer.text
    values = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }
    assert values[("novelproc_jobs", (("engine", "local"), ("status", "completed")))] == 1
    assert values[("novelproc_chunks", (("status", "succeeded"),))] == job["total_chunks"]
    assert values[("novelproc_chunk_stage_seconds_count", (("stage", "engine"),))] == job["total_chunks"]
    assert values[("novelproc_chunk_stage_seconds_sum", (("stage", "pdf"),))] > 0
    assert values[("novelproc_credits_total", (("kind", "charge"),))] == charged
    tokens = {
        direction: (
            "novelproc_tokens_total",
            (("direction", direction), ("engine", "local"), ("model", "fr_core_news_sm")),
        )
        for direction in ("input", "output")
    }
    assert values[tokens["input"]] + values[tokens["output"]] == job["gemini_tokens_used"]
    assert values[("novelproc_workers", ())] >= 1  # the cluster that ran it, from its stats in the shared cache


def test_cancel_during_processing_stops_new_chunks_and_releases_credits(
    live_server, cluster_factory, live_client, user, story_pdf, settings
):
    settings.CHUNK_SIZE_OVERRIDE = 2
    cluster_factory()
    client = live_client(live_server.url)
    job_id = client.confirm_and_start(story_pdf(60), 60, sentence_length_limit=8)
    wait_for(lambda: client.job(job_id)["processed_chunks"] >= 2, timeout=120, interval=0.05, what="two chunks done")

    cancelled = client.http.post(f"/jobs/{job_id}/cancel").json()

    assert cancelled["status"] == "cancelled"
    job = Job.objects.get(pk=job_id)
    assert cancelled["charged_credits"] + cancelled["refunded_credits"] == job.estimated_credits
    assert (
        client.http.get("/credits/me").json() | {}
        and credit_balance(user=user) == settings.MONTHLY_GRANT_CREDITS - cancelled["charged_credits"]
    )
    succeeded_at_cancel = Chunk.objects.filter(job=job, status=ChunkStatus.SUCCEEDED).count()
    time.sleep(4)  # several chunks' time: nothing may start or be recorded now
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert not Chunk.objects.filter(job=job, started_at__gt=job.cancelled_at).exists()
    assert Chunk.objects.filter(job=job, status=ChunkStatus.SUCCEEDED).count() == succeeded_at_cancel
    assert Chunk.objects.filter(job=job, status=ChunkStatus.PENDING).count() == 0
    assert list(CreditLedger.objects.filter(job=job, kind="charge").values_list("amount", flat=True)) in (
        [],
        [-cancelled["charged_credits"]],
    )


@pytest.mark.redis
def test_killing_the_cluster_mid_job_loses_nothing(live_server, cluster_factory, live_client, story_pdf, settings):
    from jobs.pipeline import local_engine
    from jobs.pipeline.pdf import extract_pages
    from jobs.pipeline.text import chunk_source

    settings.CHUNK_SIZE_OVERRIDE = 3
    pdf = story_pdf(60)
    first = cluster_factory(CHUNK_LEASE_SECONDS="8")
    client = live_client(live_server.url)
    job_id = client.confirm_and_start(pdf, 60, sentence_length_limit=8)
    wait_for(
        lambda: (
            Chunk.objects.filter(job_id=job_id, status=ChunkStatus.SUCCEEDED).count() >= 2
            and Chunk.objects.filter(job_id=job_id, status=ChunkStatus.RUNNING).exists()
        ),
        timeout=120,
        interval=0.02,
        what="chunks running",
    )

    first.kill_hard()

    assert Job.objects.get(pk=job_id).status == "processing"
    cluster_factory(CHUNK_LEASE_SECONDS="8")
    job, _ = client.follow(job_id, timeout=300)
    assert job["status"] == "completed", job
    assert job["processed_chunks"] == job["total_chunks"] and job["failed_chunks"] == []
    chunks = Chunk.objects.filter(job_id=job_id)
    assert all(c.status == ChunkStatus.SUCCEEDED for c in chunks)
    expected = local_engine.rewrite(
        chunk_source(lambda a, b: extract_pages(str(pdf), a, b), first=1, last=60, page_count=60).sentences, limit=8
    ).sentences
    assert Job.objects.get(pk=job_id).sentences == expected  # nothing lost, nothing twice
    assert CreditLedger.objects.filter(job_id=job_id, kind="charge").count() == 1
    assert Job.objects.get(pk=job_id).total_tokens == sum(c.input_tokens + c.output_tokens for c in chunks)


def process_running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


# The sentinel's guard and the worker's signals, whatever the broker: once.
@pytest.mark.first_pass
def test_a_worker_stuck_past_its_timeout_is_still_stopped(cluster_factory, tmp_path):
    # The cluster's sentinel ignores SIGTERM (our qcluster, for group stops);
    # its workers must not, since SIGTERM is how it ends one stuck past the timeout.
    from django_q.tasks import async_task

    cluster_factory(CHUNK_TASK_TIMEOUT="10")
    pid_file = tmp_path / "stubborn.pid"
    async_task("jobs.tests.stubborn.stubborn", str(pid_file))
    pid = int(
        wait_for(lambda: pid_file.exists() and pid_file.read_text(), timeout=60, interval=0.1, what="the task to start")
    )
    assert process_running(pid)
    assert os.getpriority(os.PRIO_PROCESS, pid) == 19  # WORKER_NICE: the web is served first
    assert os.sched_getscheduler(pid) == os.SCHED_IDLE  # WORKER_SCHED_IDLE
    wait_for(lambda: not process_running(pid), timeout=40, interval=0.2, what="the stuck worker to be stopped")
