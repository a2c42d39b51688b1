"""Claims, leases, records and the sweep, on rows made directly (no pipeline)."""

import os
import pydoc
import subprocess
import sys
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from credits.models import CreditLedger
from credits.selectors import credit_balance
from jobs import selectors, services
from jobs.models import Chunk, ChunkStatus, Engine, Job, JobStatus
from jobs.pipeline.figures import QualityFigures
from jobs.tests.factories import make_started_job
from jobs.types import ChunkOutcome
from novelproc.errors import InvalidTransition

OUTCOME = ChunkOutcome(sentences=["Il pleut."], input_tokens=600, output_tokens=400, tokens_by_model={"local": 1000})


@pytest.fixture(autouse=True)
def no_queue():
    with mock.patch("jobs.services._enqueue_chunk") as enqueue:
        yield enqueue


@pytest.fixture
def job(user):
    return make_started_job(user, chunks=3)


def first_chunk(job):
    return job.chunks.get(index=0)


def test_claim_takes_a_pending_chunk_once(job):
    chunk = first_chunk(job)
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    assert claimed is not None and claimed.job.status == JobStatus.PROCESSING
    assert services.chunk_claim(chunk_id=chunk.pk) is None  # a duplicate delivery does nothing
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING and chunk.attempts == 1


def test_an_expired_lease_can_be_claimed_again_and_the_old_claim_cannot_record(job):
    chunk = first_chunk(job)
    old = services.chunk_claim(chunk_id=chunk.pk)
    Chunk.objects.filter(pk=chunk.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    new = services.chunk_claim(chunk_id=chunk.pk)
    assert new is not None and new.token != old.token
    assert services.chunk_heartbeat(chunk_id=chunk.pk, token=old.token) is False
    assert services.chunk_record(chunk_id=chunk.pk, token=old.token, outcome=OUTCOME) is False
    assert services.chunk_record(chunk_id=chunk.pk, token=new.token, outcome=OUTCOME) is True
    job.refresh_from_db()
    assert job.processed_chunks == 1 and job.total_tokens == 1000


def test_the_last_chunk_completes_and_settles_the_job_once(job, user):
    balance_before = credit_balance(user=user)
    for chunk in job.chunks.all():
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=OUTCOME)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.progress_percent == 100
    assert job.sentences == ["Il pleut."] * 3
    assert job.actual_credits == 3  # 3000 tokens at rate 1
    assert credit_balance(user=user) == balance_before + 50 - 3
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 1
    rec = services.job_finalize(user=user, job_id=job.pk)
    assert (rec.actual_credits, rec.refunded) == (3, 47)
    assert CreditLedger.objects.filter(job=job).count() == 3  # reserve, release, charge: finalize wrote nothing more


def test_a_job_whose_every_chunk_failed_is_failed_and_charges_nothing(job, user):
    for chunk in job.chunks.all():
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        services.chunk_fail(chunk_id=chunk.pk, token=claimed.token, error_code="PDF_UNREADABLE", message="broken")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "ALL_CHUNKS_FAILED"
    assert job.actual_credits == 0
    assert not CreditLedger.objects.filter(job=job, kind="charge").exists()


def test_some_failed_chunks_complete_the_job_with_partial_results(job):
    chunks = list(job.chunks.all())
    for chunk in chunks[:2]:
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=OUTCOME)
    claimed = services.chunk_claim(chunk_id=chunks[2].pk)
    services.chunk_fail(chunk_id=chunks[2].pk, token=claimed.token, error_code="ENGINE_ERROR", message="x")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.failed_chunk_count == 1 and job.actual_credits == 2


def test_cancel_charges_finished_chunks_releases_the_rest_and_drops_running_work(job, user):
    chunks = list(job.chunks.all())
    done = services.chunk_claim(chunk_id=chunks[0].pk)
    services.chunk_record(chunk_id=chunks[0].pk, token=done.token, outcome=OUTCOME)
    running = services.chunk_claim(chunk_id=chunks[1].pk)
    rec = services.job_cancel(user=user, job_id=job.pk)
    assert rec.actual_credits == 1 and rec.refunded == 49
    assert services.chunk_heartbeat(chunk_id=chunks[1].pk, token=running.token) is False
    assert services.chunk_record(chunk_id=chunks[1].pk, token=running.token, outcome=OUTCOME) is False
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.total_tokens == 1000
    assert services.chunk_claim(chunk_id=chunks[2].pk) is None
    with pytest.raises(InvalidTransition):
        services.job_cancel(user=user, job_id=job.pk)
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 1


def test_dispatch_keeps_at_most_parallel_chunks_in_flight(user, no_queue):
    from django.db import transaction

    job = make_started_job(user, chunks=5, parallel=2)
    with transaction.atomic():
        services._dispatch_chunks(job)
        services._dispatch_chunks(job)
    assert job.chunks.filter(enqueued_at__isnull=False).count() == 2


def test_a_gemini_job_reads_ahead_but_calls_at_most_parallel_at_once(user, settings, no_queue):
    from django.db import transaction

    settings.CHUNK_READ_AHEAD = 2
    job = make_started_job(user, chunks=8, parallel=3)
    Job.objects.filter(pk=job.pk).update(engine=Engine.GEMINI)
    job.refresh_from_db()
    queued = lambda: job.chunks.filter(enqueued_at__isnull=False).count()  # noqa: E731

    def claim_queued():
        return [
            services.chunk_claim(chunk_id=c.pk)
            for c in job.chunks.filter(enqueued_at__isnull=False, status=ChunkStatus.PENDING)
        ]

    def take(claimed):
        return services.chunk_take_call_slot(chunk_id=claimed.chunk.pk, token=claimed.token)

    with transaction.atomic():
        services._dispatch_chunks(job)
    assert queued() == 2  # two read at once
    first = claim_queued()
    assert [take(c) for c in first] == [True, True]
    assert queued() == 4  # each reader that moved on to calling made room for one more
    ahead = claim_queued()
    assert [take(c) for c in ahead] == [True, False]  # the third and last call slot
    assert queued() == 5
    assert take(first[0]) is True  # held already
    services.chunk_record(chunk_id=first[0].chunk.pk, token=first[0].token, outcome=OUTCOME)
    assert take(ahead[1]) is True
    assert job.chunks.filter(call_slot_since__isnull=False).count() == 3 and queued() == 6
    # A holder whose worker died (lease expired) frees its slot; re-claimed, the chunk starts without one.
    late = claim_queued()
    assert [take(c) for c in late] == [False, False]
    Chunk.objects.filter(pk=first[1].chunk.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert take(late[0]) is True
    again = services.chunk_claim(chunk_id=first[1].chunk.pk)
    assert Chunk.objects.get(pk=again.chunk.pk).call_slot_since is None
    assert take(first[1]) is None  # the old claim lost it
    assert take(again) is False


def test_a_cancelled_job_gives_no_call_slot(user):
    job = make_started_job(user, chunks=2, parallel=2)
    claimed = services.chunk_claim(chunk_id=first_chunk(job).pk)
    services.job_cancel(user=user, job_id=job.pk)
    assert services.chunk_take_call_slot(chunk_id=claimed.chunk.pk, token=claimed.token) is None


def test_sweep_requeues_expired_leases_and_fails_chunks_out_of_attempts(
    job, settings, django_capture_on_commit_callbacks, no_queue
):
    settings.CHUNK_MAX_ATTEMPTS = 2
    chunks = list(job.chunks.all())
    services.chunk_claim(chunk_id=chunks[0].pk)
    Chunk.objects.filter(pk=chunks[0].pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        report = services.sweep_stale_work()
    assert report.requeued >= 1
    assert mock.call(chunks[0].pk) in no_queue.call_args_list
    services.chunk_claim(chunk_id=chunks[0].pk)  # attempt 2
    Chunk.objects.filter(pk=chunks[0].pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    report = services.sweep_stale_work()
    assert report.failed == 1
    chunks[0].refresh_from_db()
    assert chunks[0].status == ChunkStatus.FAILED and chunks[0].error_code == "WORKER_LOST"


def test_retry_failed_chunks_reopens_the_job_and_reserves_again(job, user):
    for chunk in job.chunks.all():
        claimed = services.chunk_claim(chunk_id=chunk.pk)
        if chunk.index == 2:
            services.chunk_fail(chunk_id=chunk.pk, token=claimed.token, error_code="ENGINE_ERROR", message="x")
        else:
            services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=OUTCOME)
    job.refresh_from_db()
    job.pdf_file.name = "uploads/present.pdf"
    job.save(update_fields=["pdf_file"])
    reopened = services.job_retry_failed_chunks(user=user, job_id=job.pk)
    assert reopened.status == JobStatus.PROCESSING and reopened.billing_round == 2
    chunk = job.chunks.get(index=2)
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=OUTCOME)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.actual_credits == 3 and job.failed_chunk_count == 0
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 2


def figures_outcome(
    *, sentences: list[str], pieces: int, without_verb: int, over_limit: int, engine: float, checked: int | None = None
) -> ChunkOutcome:
    return ChunkOutcome(
        sentences=sentences,
        input_tokens=10,
        output_tokens=10,
        tokens_by_model={"local": 20},
        timings={"engine": engine},
        quality=QualityFigures(
            sentences=len(sentences),
            pieces=pieces,
            pieces_checked=pieces if checked is None else checked,
            pieces_without_verb=without_verb,
            sentences_over_limit=over_limit,
            words=sum(len(s.split()) for s in sentences),
            engine_seconds=engine,
        ),
    )


# 4 sentences of 3 words, 2 of 5: 22 words in all.
FIRST = figures_outcome(sentences=["Il pleut fort."] * 4, pieces=3, without_verb=1, over_limit=0, engine=0.5)
SECOND = figures_outcome(
    sentences=["Le vent souffle très fort."] * 2, pieces=5, without_verb=2, over_limit=1, engine=1.5, checked=4
)  # a sample


def record(chunk, outcome: ChunkOutcome) -> None:
    claimed = services.chunk_claim(chunk_id=chunk.pk)
    assert services.chunk_record(chunk_id=chunk.pk, token=claimed.token, outcome=outcome)


def test_recording_chunks_sums_their_quality_figures_into_the_job(user):
    job = make_started_job(user, chunks=2)
    first, second = job.chunks.order_by("index")
    record(first, FIRST)
    record(second, SECOND)

    job.refresh_from_db()
    assert (job.pieces, job.pieces_without_verb, job.sentences_over_limit, job.words, job.engine_seconds) == (
        8,
        3,
        1,
        22,
        2.0,
    )
    assert (Chunk.objects.get(pk=second.pk).pieces, Chunk.objects.get(pk=second.pk).words) == (5, 10)
    quality = selectors.job_quality(job=job)
    assert quality.sentences == len(job.sentences) == 6
    assert quality.over_limit_share == pytest.approx(1 / 6)
    assert (job.pieces_checked, quality.pieces_checked) == (7, 7)
    assert quality.pieces_without_verb_share == pytest.approx(3 / 7)  # of the pieces checked
    assert quality.words_per_second == pytest.approx(11.0)


def test_a_job_with_nothing_recorded_has_no_shares_to_show(job):
    quality = selectors.job_quality(job=job)

    assert (quality.sentences, quality.over_limit_share) == (0, 0.0)
    assert quality.pieces_without_verb_share is None and quality.words_per_second is None
    assert job.recorded_chunks == 0


def test_a_retried_chunk_and_a_duplicate_delivery_count_the_figures_once(user):
    job = make_started_job(user, chunks=2)
    first, second = job.chunks.order_by("index")
    record(first, FIRST)
    claimed = services.chunk_claim(chunk_id=second.pk)
    services.chunk_fail(chunk_id=second.pk, token=claimed.token, error_code="ENGINE_ERROR", message="x")
    job.refresh_from_db()
    assert (job.pieces, job.words, job.engine_seconds, job.recorded_chunks) == (
        3,
        12,
        0.5,
        1,
    )  # a failed chunk adds no figures

    Job.objects.filter(pk=job.pk).update(pdf_file="uploads/present.pdf")
    services.job_retry_failed_chunks(user=user, job_id=job.pk)
    retried = services.chunk_claim(chunk_id=second.pk)
    assert services.chunk_record(chunk_id=second.pk, token=retried.token, outcome=SECOND)
    assert (
        services.chunk_record(chunk_id=second.pk, token=retried.token, outcome=SECOND) is False
    )  # the same task delivered twice
    assert services.chunk_claim(chunk_id=second.pk) is None

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.recorded_chunks == 2
    assert (job.pieces, job.pieces_without_verb, job.sentences_over_limit, job.words, job.engine_seconds) == (
        8,
        3,
        1,
        22,
        2.0,
    )


def test_queueing_a_chunk_from_a_web_process_loads_no_engine():
    # The task is queued by name: a web process starting a job must not pay
    # for importing the pipeline (google-genai, spaCy) inside the request.
    code = (
        "import sys, django; django.setup(); from unittest import mock; import novelproc.urls; from jobs import services\n"
        "with mock.patch('jobs.services.async_task') as queue: services._enqueue_chunk(7)\n"
        "print(queue.call_args.args, [m for m in ('jobs.processing', 'jobs.tasks', 'google.genai', 'spacy') if m in sys.modules])"
    )
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "novelproc.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "('jobs.tasks.process_chunk', 7) []"
    from jobs.tasks import process_chunk

    assert pydoc.locate("jobs.tasks.process_chunk") is process_chunk
