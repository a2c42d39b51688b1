"""jobs.processing: the work of one chunk, outside any transaction.
Neighbouring chunks share the pages they both read (the job's page store),
so pypdf parses each page of a book about once, and the results do not change;
a heartbeat keeps the lease while the engine runs, so a long call is made and paid once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from credits.models import CreditLedger
from jobs.models import Job, JobStatus, PageText
from jobs.pipeline import pdf
from jobs.processing import LeaseKeeper


@pytest.mark.django_db(transaction=True)
def test_neighbouring_chunks_parse_each_page_once_and_give_the_same_sentences(api, story_pdf, monkeypatch):
    parsed: list[int] = []
    real_extract = pdf.extract_pages

    def counting_extract(path, first, last, **kwargs):
        parsed.extend(range(first, last + 1))
        return real_extract(path, first, last, **kwargs)

    monkeypatch.setattr("jobs.processing.extract_pages", counting_extract)
    book = story_pdf(40)

    def run_job() -> Job:
        job_id = api.post(
            "/api/v1/jobs/confirm", {"original_filename": "s.pdf", "page_count": 40}, format="json"
        ).json()["job_id"]
        with open(book, "rb") as handle:
            assert api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code == 202
        return Job.objects.get(pk=job_id)

    shared = run_job()
    assert shared.status == JobStatus.COMPLETED and shared.total_chunks == 2
    assert sorted(parsed) == list(range(1, 41))  # every page once, though the chunks overlap
    assert PageText.objects.filter(job=shared).count() == 40

    parsed.clear()
    monkeypatch.setattr("jobs.processing.kept_pages", lambda **kwargs: {})  # as if every chunk read alone
    alone = run_job()
    assert len(parsed) > 40
    assert alone.sentences == shared.sentences and len(shared.sentences) > 100


def run_gemini_job_while_sweeping(api, book, settings) -> tuple[Job, dict]:
    """Start a one-chunk Gemini job (run inline: the test cluster is sync)
    while another thread sweeps for expired leases every 0.1 s, as the
    cluster's schedule would; the fake holds its answer for 1.5 leases."""
    from devtools.fakegemini import FakeGemini
    from jobs import services

    settings.CHUNK_LEASE_SECONDS = 2
    settings.GEMINI_TIMEOUT = 10  # longer than the lease, as settings.py refuses: only the heartbeat saves it
    settings.GEMINI_FALLBACK_MODEL = ""
    settings.GEMINI_REPAIR_FRAGMENTS = False  # one call a chunk: every extra one is the lease's doing
    done = threading.Event()

    def sweep() -> None:
        try:
            while not done.wait(0.1):
                services.sweep_stale_work()
        finally:
            connection.close()

    with FakeGemini(port=0, latency=1.5 * settings.CHUNK_LEASE_SECONDS) as fake:
        settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL = "test-key", fake.url
        sweeper = threading.Thread(target=sweep)
        sweeper.start()
        try:
            job_id = api.post(
                "/api/v1/jobs/confirm", {"original_filename": "s.pdf", "page_count": 10}, format="json"
            ).json()["job_id"]
            with open(book, "rb") as handle:
                assert (
                    api.post(f"/api/v1/jobs/{job_id}/start", {"pdf_file": handle}, format="multipart").status_code
                    == 202
                )
        finally:
            done.set()
            sweeper.join()
        return Job.objects.get(pk=job_id), fake.stats()


@pytest.mark.django_db(transaction=True)
def test_a_call_held_past_the_lease_is_made_once_and_paid_once(api, story_pdf, settings):
    job, stats = run_gemini_job_while_sweeping(api, story_pdf(10), settings)

    assert job.engine == "gemini" and job.status == JobStatus.COMPLETED, (job.error_code, job.error_message)
    chunk = job.chunks.get()
    assert stats["requests"] == 1 and chunk.api_calls == 1 and chunk.attempts == 1
    assert job.total_tokens == stats["total_tokens"] > 0
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 1


@pytest.mark.django_db(transaction=True)
def test_without_the_heartbeat_the_sweep_hands_the_chunk_out_again_and_the_call_is_paid_twice(
    api, story_pdf, settings, monkeypatch
):
    monkeypatch.setattr("jobs.processing.renew_every", lambda job: 60.0)  # no renewal within the call
    job, stats = run_gemini_job_while_sweeping(api, story_pdf(10), settings)

    assert stats["requests"] >= 2 and job.chunks.get().attempts >= 2


def test_the_heartbeat_beats_while_the_block_runs_and_reports_a_lost_lease():
    beats: list[float] = []
    with LeaseKeeper(lambda: beats.append(time.monotonic()) or len(beats) < 3, every=0.05) as keeper:
        assert keeper.lost.wait(2)
    assert len(beats) == 3
    time.sleep(0.2)
    assert len(beats) == 3  # it stopped at the first refusal

    with LeaseKeeper(lambda: beats.append(0) or True, every=0.05) as keeper:
        time.sleep(0.3)
    count = len(beats)
    time.sleep(0.2)
    assert not keeper.lost.is_set() and count >= 6 and len(beats) == count  # no beat after the block


def test_the_keeper_runs_what_section_threads_ask_on_its_own_thread_and_keeps_beating_meanwhile():
    beats: list[str] = []
    with LeaseKeeper(lambda: beats.append(threading.current_thread().name) or True, every=0.05) as keeper:
        ran_on: list[str] = []

        def section() -> None:
            for _ in range(40):  # a steady stream of asks does not starve the renewals
                ran_on.append(keeper.ask(lambda: threading.current_thread().name))
                time.sleep(0.01)

        sections = [threading.Thread(target=section) for _ in range(4)]
        for thread in sections:
            thread.start()
        for thread in sections:
            thread.join()
        with pytest.raises(ZeroDivisionError):  # the caller gets the exception, the keeper goes on
            keeper.ask(lambda: 1 / 0)
        assert keeper.ask(lambda x, *, y: x + y, 1, y=2) == 3
    assert set(ran_on) == {"lease-keeper"} and len(ran_on) == 160
    assert len(beats) >= 6 and set(beats) == {"lease-keeper"}
    # A section thread that outlives the block runs what it asks itself.
    assert keeper.ask(lambda: threading.current_thread().name) == threading.current_thread().name
