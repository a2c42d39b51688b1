"""The Anki export (jobs.anki): GET jobs/{id}/export?format=apkg, read back
from its SQLite collection as Anki reads it."""

from __future__ import annotations

import dataclasses
import html

import pytest

from jobs.anki import SENTENCE_MODEL_ID
from jobs.models import Job
from jobs.tests.apkg import read_apkg
from jobs.tests.books import albert
from jobs.tests.factories import make_outcome, make_started_job, record

pytestmark = pytest.mark.django_db(transaction=True)


def export(api, job_id: int) -> bytes:
    response = api.get(f"/api/v1/jobs/{job_id}/export?format=apkg")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/apkg"
    assert response["Content-Disposition"].endswith('-sentences.apkg"')
    return response.content


@pytest.mark.first_pass
def test_the_115_page_book_deck_has_a_note_per_sentence_and_the_same_ids_twice(api):
    job_id, _ = albert(api)
    job = Job.objects.get(pk=job_id)
    first, second = export(api, job_id), export(api, job_id)
    collection, again = read_apkg(first), read_apkg(second)

    decks = {deck_id: name for deck_id, name in collection.decks.items() if deck_id != 1}
    assert list(decks.values()) == ["novelproc::albert-savarus-115p"]
    assert collection.models[SENTENCE_MODEL_ID] == ["Sentence", "Source", "Chapter", "Position"]
    lines = [(position, s) for position, s in enumerate(job.sentences, start=1) if s.strip()]
    assert len(collection.notes) == len(lines) == len(job.sentences) > 5000
    assert [html.unescape(note.fields[0]) for note in collection.notes] == [s for _, s in lines]
    assert [note.fields[3] for note in collection.notes] == [str(position) for position, _ in lines]
    assert [html.unescape(note.fields[1]) for note in collection.notes] == job.sources
    titles = {c["first"]: c for c in job.chapters}
    for note in collection.notes:
        chapter = titles.get(int(note.fields[3]))
        if chapter:  # a chapter's first sentence carries its title and its tag
            assert html.unescape(note.fields[2]) == chapter["title"] and note.tags[0].startswith(
                f"chapter::{chapter['number']:02d}-"
            )
    ambitieux = next(n for n in collection.notes if html.unescape(n.fields[2]) == "L'AMBITIEUX PAR AMOUR")
    assert ambitieux.tags == ["chapter::01-lambitieux-par-amour"]
    assert len({tuple(note.tags) for note in collection.notes}) == len(job.chapters) == 6
    assert {deck for _, _, deck in collection.cards} == set(decks)
    assert sorted(nid for _, nid, _ in collection.cards) == [note.id for note in collection.notes]

    # Same deck, same notes (ids and GUIDs): Anki updates them on a second import.
    assert again.decks == collection.decks
    assert [(n.id, n.guid) for n in again.notes] == [(n.id, n.guid) for n in collection.notes]
    assert again.cards == collection.cards
    assert len({n.guid for n in collection.notes}) == len(collection.notes)


def test_each_note_has_its_source_sentence_and_another_job_gets_its_own_deck(api, user, no_queue):
    job = make_started_job(user, chunks=2, parallel=2)
    first, second = job.chunks.order_by("index")
    outcome = make_outcome(["Il pleut", "sur la ville.", "", "<Rien>."])
    record(
        first, dataclasses.replace(outcome, sources=["Il pleut sur la ville.", "Il pleut sur la ville.", "", "<Rien>."])
    )
    record(second, make_outcome(["Il revient."]))  # an engine that gives no sources (Gemini)
    job.refresh_from_db()
    assert job.sources == ["Il pleut sur la ville.", "Il pleut sur la ville.", "", "<Rien>.", ""]

    notes = read_apkg(export(api, job.pk)).notes
    assert [(n.fields[0], n.fields[1], n.fields[3]) for n in notes] == [
        ("Il pleut", "Il pleut sur la ville.", "1"),
        ("sur la ville.", "Il pleut sur la ville.", "2"),
        ("&lt;Rien&gt;.", "&lt;Rien&gt;.", "4"),  # the blank paragraph mark is no note; text is escaped
        ("Il revient.", "", "5"),
    ]
    assert all(n.tags == ["chapter::00-opening"] for n in notes)

    other = make_started_job(user, chunks=1, parallel=1)
    record(other.chunks.get(), make_outcome(["Il pleut"]))
    theirs = read_apkg(export(api, other.pk))
    assert set(theirs.decks) & set(read_apkg(export(api, job.pk)).decks) == {1}  # only Anki's default deck
    assert theirs.notes[0].guid != notes[0].guid
