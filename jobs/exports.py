"""Sentence lists as downloadable files (Index, Sentence, Chapter), and
the Anki deck (jobs.anki).

The chapter column comes last, so that readers of the two first columns
(the predecessor's files had only those) read them where they were."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook

from jobs.pipeline.chapters import chapter_of_each
from jobs.pipeline.vocabulary import Lemma

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "apkg": "application/apkg",  # an Anki deck (jobs.anki)
}
# Media type → format, for Accept; the first is the default for */*.
EXPORT_MEDIA_TYPES = {content_type.split(";")[0]: fmt for fmt, content_type in EXPORT_FORMATS.items()}


def export_job(job, fmt: str) -> bytes:
    """A finished job's result in ``fmt`` (one of EXPORT_FORMATS)."""
    if fmt == "apkg":
        # Loaded here: genanki is needed by this one format only.
        from jobs.anki import DeckSource, sentence_deck

        return sentence_deck(DeckSource.of(job))
    return export_sentences(job.sentences, fmt, title=job.original_filename, chapters=job.chapters)


VOCABULARY_FORMATS = {"csv": "text/csv; charset=utf-8", "apkg": "application/apkg"}
VOCABULARY_COLUMNS = ["Lemma", "Part of speech", "Count", "Forms", "Band", "Zipf", "Usefulness", "First sentence"]


def export_vocabulary(job, lemmas: list[Lemma], fmt: str) -> bytes:
    """A job's lemmas (jobs.selectors.vocabulary_selection) as CSV, or as an Anki deck of words."""
    if fmt == "apkg":
        from jobs.anki import DeckSource, word_deck

        return word_deck(DeckSource.of(job), lemmas)
    if fmt != "csv":
        raise ValueError(f"unknown vocabulary format {fmt!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(VOCABULARY_COLUMNS)
    for e in lemmas:
        forms = ", ".join(sorted(e.forms, key=lambda form: (-e.forms[form], form)))
        writer.writerow([e.lemma, e.pos, e.count, forms, e.band, e.zipf, e.usefulness, e.first_sentence])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_sentences(sentences: list[str], fmt: str, *, title: str, chapters: list[dict] | None = None) -> bytes:
    """``chapters`` as a job stores them ({number, title, first, last})."""
    chapter_titles = chapter_of_each(chapters or [], len(sentences))
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["Index", "Sentence", "Chapter"])
        writer.writerows((i, s, c) for i, (s, c) in enumerate(zip(sentences, chapter_titles, strict=True), start=1))
        # The BOM makes spreadsheet programs read the file as UTF-8 (accents intact).
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "json":
        rows = [
            {"index": i, "sentence": s, "chapter": c}
            for i, (s, c) in enumerate(zip(sentences, chapter_titles, strict=True), start=1)
        ]
        document = {"title": title, "sentences": rows, "chapters": chapters or []}
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "txt":
        return ("\n".join(sentences) + "\n").encode("utf-8")
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Sentences")
        sheet.append(["Index", "Sentence", "Chapter"])
        for i, (sentence, chapter) in enumerate(zip(sentences, chapter_titles, strict=True), start=1):
            sheet.append([i, sentence, chapter])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")
