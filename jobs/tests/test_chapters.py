"""Chapters of a real book: the 115-page novel's result against the
headings of its reference text (SPEC §3 result; issue #17)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook

from jobs.models import Job
from jobs.tests.books import albert
from jobs.tests.factories import make_outcome, make_started_job, record

pytestmark = pytest.mark.django_db(transaction=True)

SENTENCE_END = re.compile(r"[.!?…:»]$")


def reference_headings(paragraphs: list[str]) -> list[str]:
    """The reference's titles: paragraphs in capitals that open a passage
    (the paragraph before ends a sentence or is a title itself; an address
    block's next capital line, after "(née princesse Soderini) ,", does not)."""

    def in_capitals(text: str) -> bool:
        letters = [c for c in text if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)

    headings = []
    for before, paragraph in zip(["."] + paragraphs, paragraphs, strict=False):
        if in_capitals(paragraph) and (SENTENCE_END.search(before) or in_capitals(before)):
            headings.append(paragraph)
    return headings


@pytest.mark.first_pass
def test_the_115_page_book_has_the_reference_chapters_in_order_with_their_sentences(api):
    job_id, reference = albert(api)
    result = api.get(f"/api/v1/jobs/{job_id}/result").json()
    chapters, sentences = result["chapters"], result["sentences"]
    expected = reference_headings(reference)
    assert len(expected) == 5 and expected[0] == "L'AMBITIEUX PAR AMOUR"

    assert [c["title"] for c in chapters] == ["", *expected]
    assert [c["number"] for c in chapters] == list(range(6))
    # Contiguous ranges that cover the whole result, each opening on its title.
    assert chapters[0]["first"] == 1 and chapters[-1]["last"] == len(sentences)
    assert all(a["last"] + 1 == b["first"] for a, b in zip(chapters, chapters[1:], strict=False))
    # The lines after each title were written from the chapter's first
    # sentences (simplify may reword a line, so its source is compared).
    sources = Job.objects.get(pk=job_id).sources
    assert len(sources) == len(sentences) and all(sources)
    for chapter in chapters[1:]:
        assert chapter["title"].startswith(sentences[chapter["first"] - 1]), chapter
        at = reference.index(chapter["title"])
        body = " ".join(reference[at + 1 : at + 3])
        following = sources[chapter["first"] : chapter["first"] + 3]
        assert words(" ".join(following))[:4] == words(body)[:4], (chapter, following)
    assert words(sources[0])[:4] == words(reference[0])[:4]


def words(text: str) -> list[str]:
    """Words alone: the engine tidies the spaces the reference keeps before punctuation."""
    return re.findall(r"\w+", text)


def test_exports_carry_each_sentence_chapter(api, user, no_queue):
    job = make_started_job(user, chunks=2, parallel=2)
    chunks = list(job.chunks.order_by("index"))
    record(chunks[0], _with_chapters(["Il pleut.", "PREMIER", "Elle part."], [{"title": "PREMIER", "start": 1}]))
    record(chunks[1], _with_chapters(["SECOND", "Il revient."], [{"title": "SECOND", "start": 0}]))
    expected = [("Il pleut.", ""), ("PREMIER", "PREMIER"), ("Elle part.", "PREMIER"), ("SECOND", "SECOND")]
    expected.append(("Il revient.", "SECOND"))

    export = f"/api/v1/jobs/{job.pk}/export?format="
    rows = list(csv.reader(io.StringIO(api.get(export + "csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["Index", "Sentence", "Chapter"]
    assert [(r[1], r[2]) for r in rows[1:]] == expected and [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]
    sheet = load_workbook(io.BytesIO(api.get(export + "xlsx").content)).active
    assert [(r[1], r[2] or "") for r in sheet.iter_rows(min_row=2, values_only=True)] == expected
    document = json.loads(api.get(export + "json").content)
    assert [(r["sentence"], r["chapter"]) for r in document["sentences"]] == expected
    assert (
        document["chapters"]
        == api.get(f"/api/v1/jobs/{job.pk}/result").json()["chapters"]
        == [
            {"number": 0, "title": "", "first": 1, "last": 1},
            {"number": 1, "title": "PREMIER", "first": 2, "last": 3},
            {"number": 2, "title": "SECOND", "first": 4, "last": 5},
        ]
    )


def _with_chapters(sentences: list[str], chapters: list[dict]):
    import dataclasses

    return dataclasses.replace(make_outcome(sentences), chapters=chapters)
