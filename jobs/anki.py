"""Anki decks (.apkg, written by genanki) of a job's sentences.

One note per sentence, with the sentence, the source sentence it came from
(the book's own wording, which the engine may have cut), its chapter and its
position in the book; a tag per chapter. Anki recognises a note it already
has by its GUID, and the deck by its id: both are derived from the job (and
the position), never drawn at random, so importing a second export of the
same job updates the notes instead of adding copies. The note and card ids
come from the job's creation time (Anki reads them as when the note was
added), so a second export is the same file, id for id.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import genanki
from django.utils.text import slugify

from jobs.pipeline.chapters import chapter_of_each

# One note type for every deck this service writes: Anki keeps a single
# "novelproc sentence" type however many books a learner imports. Fixed for
# ever: a new id would make Anki see a new type and duplicate every note.
SENTENCE_MODEL_ID = 1_738_204_117
SENTENCE_FIELDS = ("Sentence", "Source", "Chapter", "Position")

CSS = """.card { font-family: Georgia, serif; font-size: 26px; text-align: center; color: #1f1d1a; background: #fbf8f3; }
.source { font-size: 18px; color: #5b554c; margin-top: .6em; }
.where { font-family: sans-serif; font-size: 13px; color: #8a8276; margin-top: 1.2em; }"""

SENTENCE_MODEL = genanki.Model(
    SENTENCE_MODEL_ID,
    "novelproc sentence",
    fields=[{"name": name} for name in SENTENCE_FIELDS],
    templates=[
        {
            "name": "Read",
            "qfmt": '<div lang="fr">{{Sentence}}</div>',
            "afmt": '{{FrontSide}}<hr id="answer">{{#Source}}<div class="source" lang="fr">{{Source}}</div>{{/Source}}'
            '<div class="where">{{Chapter}} · {{Position}}</div>',
        }
    ],
    css=CSS,
)


@dataclass(frozen=True)
class DeckSource:
    """What a deck is made from: a job's identity and its result."""

    job_id: int
    filename: str
    created_at: datetime
    sentences: Sequence[str]
    sources: Sequence[str]
    chapters: Sequence[dict]

    @classmethod
    def of(cls, job) -> DeckSource:
        return cls(job.pk, job.original_filename, job.created_at, job.sentences, job.sources, job.chapters)

    @property
    def key(self) -> str:
        """What makes this job's deck and notes its own, here and on any other server's copy of it."""
        return f"novelproc:{self.job_id}:{self.created_at.isoformat()}"

    @property
    def title(self) -> str:
        return os.path.splitext(self.filename)[0] or f"job {self.job_id}"


def deck_id(key: str) -> int:
    """A deck id from ``key``, in the range genanki advises (Anki's own are
    31-bit or wider; a fixed range keeps them clear of Anki's default deck, 1)."""
    digest = int.from_bytes(hashlib.sha256(f"{key}:deck".encode()).digest()[:4], "big")
    return (1 << 30) + digest % (1 << 30)


def chapter_tag(chapter: dict | None) -> str:
    if chapter is None:
        return "chapter::00-opening"
    name = slugify(chapter["title"])[:60] or "opening"
    return f"chapter::{chapter['number']:02d}-{name}"


def sentence_deck(deck: DeckSource) -> bytes:
    """The .apkg of ``deck``: one note per non-empty sentence (a blank line
    only marks a paragraph when formatting is kept)."""
    chapter_titles = chapter_of_each(deck.chapters, len(deck.sentences))
    by_first = sorted(deck.chapters, key=lambda c: c["first"])
    package_deck = genanki.Deck(
        deck_id(deck.key), f"novelproc::{deck.title}", description=html.escape(f"{deck.filename}, sentence by sentence")
    )
    sources = deck.sources if len(deck.sources) == len(deck.sentences) else [""] * len(deck.sentences)
    for position, (sentence, source, chapter_title) in enumerate(
        zip(deck.sentences, sources, chapter_titles, strict=True), start=1
    ):
        if not sentence.strip():
            continue
        chapter = next((c for c in reversed(by_first) if c["first"] <= position), None)
        package_deck.add_note(
            genanki.Note(
                model=SENTENCE_MODEL,
                fields=[html.escape(sentence), html.escape(source), html.escape(chapter_title), str(position)],
                guid=genanki.guid_for(deck.key, position),
                tags=[chapter_tag(chapter)],
            )
        )
    out = io.BytesIO()
    genanki.Package(package_deck).write_to_file(out, timestamp=deck.created_at.timestamp())
    return out.getvalue()


# The words deck's note type, as fixed as the sentences' (see SENTENCE_MODEL_ID).
WORD_MODEL_ID = 1_738_204_118
WORD_FIELDS = ("Lemma", "Forms", "Part of speech", "Count", "Band", "Example")
POS_NAMES = {"NOUN": "nom", "VERB": "verbe", "ADJ": "adjectif", "ADV": "adverbe", "PROPN": "nom propre"}

WORD_MODEL = genanki.Model(
    WORD_MODEL_ID,
    "novelproc word",
    fields=[{"name": name} for name in WORD_FIELDS],
    templates=[
        {
            "name": "Recognise",
            "qfmt": '<div lang="fr">{{Lemma}}</div><div class="where">{{Part of speech}}</div>',
            "afmt": '{{FrontSide}}<hr id="answer"><div class="source" lang="fr">{{Example}}</div>'
            '<div class="where">{{Forms}} · {{Count}}× in the book · {{Band}}</div>',
        }
    ],
    css=CSS,
)


def word_deck(deck: DeckSource, lemmas: Sequence) -> bytes:
    """The .apkg of a book's words (jobs.pipeline.vocabulary.Lemma), in the
    order given, each with the first sentence it appears in as its example.
    Its own deck id; a word's GUID is the job's and the word's, so a later
    export with other filters updates the words a learner already has."""
    words = genanki.Deck(deck_id(f"{deck.key}:words"), f"novelproc::{deck.title}::vocabulary")
    for due, entry in enumerate(lemmas):
        forms = ", ".join(sorted(entry.forms, key=lambda form: (-entry.forms[form], form)))
        fields = [entry.lemma, forms, POS_NAMES[entry.pos], str(entry.count), entry.band, entry.first_sentence]
        words.add_note(
            genanki.Note(
                model=WORD_MODEL,
                fields=[html.escape(value) for value in fields],
                guid=genanki.guid_for(deck.key, "word", entry.lemma, entry.pos),
                tags=[f"band::{entry.band}", f"pos::{entry.pos.lower()}"],
                due=due,  # new cards come in the order asked (usefulness by default)
            )
        )
    out = io.BytesIO()
    # Its note and card ids follow the sentence deck's (two per sentence), so both decks import side by side.
    after_sentences = deck.created_at.timestamp() + (2 * len(deck.sentences) + 2) / 1000
    genanki.Package(words).write_to_file(out, timestamp=after_sentences)
    return out.getvalue()
