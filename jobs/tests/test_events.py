"""What a job's socket is told (jobs.events.JobWatch), in-process: a snapshot
on connect, then only what changed since the last message."""

from __future__ import annotations

import pytest

from jobs.events import JobWatch
from jobs.models import ChunkStatus, Job
from jobs.tests.factories import make_chunk, make_job, make_outcome, record

pytestmark = pytest.mark.usefixtures("no_queue")


@pytest.fixture
def watched(user) -> Job:
    """A job in the middle of its work: one chunk done, one running, two waiting."""
    job = make_job(user, chunks=4, status="processing")
    for index, status in enumerate([ChunkStatus.SUCCEEDED, ChunkStatus.RUNNING, ChunkStatus.PENDING]):
        make_chunk(job, index, status)
    make_chunk(job, 3)
    Job.objects.filter(pk=job.pk).update(sentence_count=1)  # what chunk_record counts for chunk 0's sentence
    return job


def test_the_snapshot_has_every_chunk_and_the_sentences_of_those_done(watched):
    snapshot = JobWatch(watched.pk).snapshot()

    assert snapshot["type"] == "snapshot"
    assert [(c["index"], c["status"]) for c in snapshot["chunks"]] == [
        (0, "succeeded"),
        (1, "running"),
        (2, "pending"),
        (3, "pending"),
    ]
    assert snapshot["sentences"] == {"0": ["Phrase 0."]}
    job = snapshot["job"]
    assert (job["id"], job["status"], job["sentence_count"]) == (watched.pk, "processing", None)
    assert job["quality"]["sentences"] == 1 and set(job["quality"]) >= {"complete_share", "words_per_second"}


def test_nothing_changed_means_no_message(watched):
    watch = JobWatch(watched.pk)
    watch.snapshot()

    assert watch.changes() is None


def test_a_recorded_chunk_is_sent_once_with_its_sentences(watched):
    watch = JobWatch(watched.pk)
    watch.snapshot()
    record(watched.chunks.get(index=2), make_outcome(["Il pleut.", "Il neige."]))

    progress = watch.changes()

    assert progress["type"] == "progress"
    assert progress["chunks"] == [{"index": 2, "status": "succeeded", "first_page": 21, "last_page": 30}]
    assert progress["sentences"] == {"2": ["Il pleut.", "Il neige."]}
    assert progress["job"]["processed_chunks"] == 1 and progress["job"]["quality"]["sentences"] == 3
    assert watch.changes() is None  # told once


def test_a_finished_job_says_how_many_sentences_it_has(user):
    job = make_job(user, chunks=2, status="processing")
    first, second = make_chunk(job, 0), make_chunk(job, 1)
    watch = JobWatch(job.pk)
    watch.snapshot()
    record(first, make_outcome(["Un.", "Deux."]))
    record(second, make_outcome(["Trois."]))

    done = watch.changes()

    assert done["job"]["status"] == "completed" and done["job"]["sentence_count"] == 3
    assert done["sentences"] == {"0": ["Un.", "Deux."], "1": ["Trois."]}
    assert watch.changes() is None


def test_a_new_snapshot_tells_everything_again(watched):
    watch = JobWatch(watched.pk)
    watch.snapshot()
    record(watched.chunks.get(index=2), make_outcome(["Il pleut."]))
    watch.changes()

    again = watch.snapshot()

    assert len(again["chunks"]) == 4 and set(again["sentences"]) == {"0", "2"}
