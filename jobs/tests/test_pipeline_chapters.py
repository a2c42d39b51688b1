"""jobs.pipeline.chapters: a chunk's headings among its sentences, the book's chapters."""

from __future__ import annotations

import pytest

from jobs.pipeline.chapters import ChapterStart, book_chapters, chapter_of_each, chapter_starts
from jobs.pipeline.text import SourceSentence

pytestmark = pytest.mark.first_pass

SOURCE = [
    SourceSentence("Il pleuvait sur la ville depuis le matin.", paragraph_start=True),
    SourceSentence("L'AMBITIEUX PAR AMOUR", heading=True),
    SourceSentence("En 1823, deux jeunes gens partirent de Lucerne.", paragraph_start=True),
    SourceSentence("LE FRÈRE ALBERT A MONSIEUR L'ABBÉ DE GRANCEY, vicaire", heading=True),
    SourceSentence("Il écrivit.", paragraph_start=True),
]


def test_headings_are_found_by_their_words_where_the_engine_gives_no_sources():
    sentences = [
        "Il pleuvait sur la ville",
        "depuis le matin.",
        "L'AMBITIEUX PAR AMOUR",
        "En 1823, deux jeunes gens",
        "partirent de Lucerne.",
        "LE FRÈRE ALBERT A MONSIEUR",  # a heading over the limit, cut
        "L'ABBÉ DE GRANCEY, vicaire",
        "Il écrivit.",
    ]
    assert chapter_starts(SOURCE, sentences) == [
        ChapterStart("L'AMBITIEUX PAR AMOUR", 2),
        ChapterStart("LE FRÈRE ALBERT A MONSIEUR L'ABBÉ DE GRANCEY, vicaire", 5),
    ]


def test_headings_follow_the_engine_sources_when_it_gives_them():
    sentences = ["Il pleuvait.", "Titre", "En 1823, ils partirent.", "Frère Albert écrit.", "Il écrivit."]
    sources = [SOURCE[0].text, SOURCE[1].text, SOURCE[2].text, SOURCE[3].text, SOURCE[4].text]
    assert [start.start for start in chapter_starts(SOURCE, sentences, sources)] == [1, 3]


def test_a_heading_the_engine_dropped_is_skipped_and_a_later_one_still_found():
    sentences = ["Il pleuvait sur la ville depuis le matin.", "En 1823, deux jeunes gens partirent.", "Il écrivit."]
    source = [*SOURCE[:4], SourceSentence("IL ÉCRIVIT.", heading=True), SOURCE[4]]
    assert chapter_starts(source, sentences) == []
    assert chapter_starts(SOURCE[:2], ["L'AMBITIEUX PAR AMOUR", "L'AMBITIEUX PAR AMOUR"]) == [
        ChapterStart("L'AMBITIEUX PAR AMOUR", 0)
    ]


def test_book_chapters_cover_every_sentence_with_an_untitled_opening():
    chunks = [(3, [{"title": "I", "start": 2}]), (0, []), (4, [{"title": "II", "start": 1}])]
    chapters = [chapter.as_json() for chapter in book_chapters(chunks)]
    assert chapters == [
        {"number": 0, "title": "", "first": 1, "last": 2},
        {"number": 1, "title": "I", "first": 3, "last": 4},
        {"number": 2, "title": "II", "first": 5, "last": 7},
    ]
    assert chapter_of_each(chapters, 7) == ["", "", "I", "I", "II", "II", "II"]


def test_a_book_that_opens_on_its_heading_has_no_untitled_chapter():
    chapters = [chapter.as_json() for chapter in book_chapters([(2, [{"title": "I", "start": 0}])])]
    assert chapters == [{"number": 1, "title": "I", "first": 1, "last": 2}]
    assert book_chapters([(0, [])]) == []
    assert [c.as_json() for c in book_chapters([(2, [])])] == [{"number": 0, "title": "", "first": 1, "last": 2}]
