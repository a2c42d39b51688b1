"""The quality report (issue #5): each figure on small cases where it is
known, then the real book against its reference."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest

from conftest import DATA_DIR
from jobs.management.commands.text_quality import table
from jobs.pipeline import local_engine, quality
from jobs.pipeline.text import SourceSentence
from jobs.tests.pdfmaker import make_pdf
from jobs.tests.test_pipeline_text import BOOK, book_pages


def test_tokens_keep_case_and_punctuation_but_not_the_spacing_glitches():
    assert (
        quality.tokens("l' incroyable , rupes .")
        == quality.tokens("l'incroyable, rupes.")
        == ["l'", "incroyable", ",", "rupes", "."]
    )
    assert quality.tokens("Grand-père dit : « Oui ! »") == ["Grand-père", "dit", ":", "«", "Oui", "!", "»"]
    assert quality.tokens("grand-père") != quality.tokens("grandpère") != quality.tokens("Grandpère")


def test_alignment_counts_losses_and_insertions():
    reference = quality.tokens("Il pleuvait sur la ville. Pierre regardait la rue grise et triste depuis sa fenêtre.")
    output = quality.tokens("Il pleuvait sur la ville. Mon Livre 12 Pierre regardait la rue grise depuis sa fenêtre.")
    alignment = quality.align(reference, output)
    assert alignment.matched == len(reference) - 2  # "et triste" lost
    assert alignment.recall == pytest.approx((len(reference) - 2) / len(reference))
    assert alignment.precision == pytest.approx(alignment.matched / len(output))
    assert alignment.inserted == [["Mon", "Livre", "12"]]
    identical = quality.align(reference, reference)
    assert (identical.recall, identical.precision, identical.inserted) == (1.0, 1.0, [])


def test_leftover_headers_are_running_lines_found_in_insertions():
    bodies = ["Il pleuvait.", "Pierre dormait.", "Marie lisait.", "Le chat veillait.", "La nuit tomba."]
    pages = [f"Mon Livre\n{body}\n{n}" for n, body in enumerate(bodies, start=1)]
    assert quality.running_lines(pages) == {("mon", "livre"), ("#",)}  # case folded, digits masked
    headers = quality.running_lines(pages)
    assert quality.leftover_headers([["Mon", "Livre"], ["encore"], ["12"]], headers) == 2


def test_hyphenation_judged_by_the_reference():
    pages = ["Il revint chez son grand-\npère avec les ab-\nbés, puis son grand-\npère partit."]
    reference = quality.tokens("Il revint chez son grand-père avec les abbés, puis son grand-père partit.")
    right = quality.hyphenation(pages, reference, reference)
    assert (right.line_end_hyphens, right.wrongly_joined, right.left_split, right.error_rate) == (3, 0, 0, 0.0)
    wrong = quality.hyphenation(
        pages, reference, quality.tokens("Il revint chez son grandpère avec les ab- bés, puis son grand-père partit.")
    )
    assert (wrong.wrongly_joined, wrong.left_split) == (1, 1)
    assert wrong.error_rate == pytest.approx(2 / 3)


def test_comma_baseline_cuts_at_the_last_comma_before_the_limit():
    text = "Le soir, quand il rentra, la maison était vide et froide depuis longtemps."
    assert [" ".join(p) for p in quality.comma_baseline(text, 6)] == [
        "Le soir, quand il rentra,",
        "la maison était vide et froide",
        "depuis longtemps.",
    ]
    assert quality.comma_baseline("Il pleut.", 6) == [["Il", "pleut."]]


# Passé simple forms that the small model tags as a noun ("entra") or an
# adjective ("salua") still count as finite verbs.
NARRATIVE = "Le jeune homme entra dans le salon et salua les dames assises près du feu."


def test_pieces_with_verb_read_the_whole_sentences_parse():
    info = next(iter(local_engine.parse([NARRATIVE])))
    pieces = local_engine.cut_sentence(NARRATIVE, info, limit=8, min_length=2)
    assert [" ".join(p) for p in pieces] == [
        "Le jeune homme entra dans le salon",
        "et salua les dames assises près du feu.",
    ]
    assert local_engine.pieces_with_verb(pieces, info) == [True, True]
    shares = quality.verb_shares([SourceSentence(NARRATIVE)], limit=5, min_length=2)
    assert shares.pieces >= 3 and shares.unavoidable == shares.pieces - 2 <= shares.pieces_without_verb


def test_engine_reports_its_pieces_and_those_without_a_verb():
    result = local_engine.rewrite([SourceSentence("Il pleut."), SourceSentence(NARRATIVE)], limit=5)
    assert result.pieces == len(result.sentences) - 1  # "Il pleut." was not cut
    assert result.pieces_without_verb == result.pieces - 2  # two verbs, each in its own piece
    assert local_engine.count_without_verb(["Il entra.", "Dans le salon.", "– Oui."]) == 2


@functools.cache
def book_report(limit: int):
    return quality.measure(book_pages(), (DATA_DIR / f"{BOOK}.txt").read_text(encoding="utf-8"), limit=limit)


def test_real_book_is_faithful_to_its_reference():
    report = book_report(8)
    assert report.recall >= 0.998 and report.precision >= 0.998
    assert report.leftover_header_lines == 0
    assert report.line_end_hyphens > 800
    assert report.hyphen_error_rate < 0.002
    assert report.sentences_over_limit == 0


@pytest.mark.parametrize("limit", [8, 12])
def test_real_book_has_fewer_verbless_pieces_than_cutting_at_commas(limit):
    report = book_report(limit)
    assert report.pieces > 1000
    assert (
        report.unavoidable_without_verb_share <= report.pieces_without_verb_share < report.baseline_without_verb_share
    )


def test_text_quality_command_on_a_small_book(tmp_path):
    lines = [
        "Il revint chez son grand-",
        "père avec les ab-",
        "bés de la ville, qui étaient nombreux et très contents de le voir.",
    ]
    pdf = tmp_path / "petit.pdf"
    pdf.write_bytes(
        make_pdf(
            [
                ["Mon Livre", *lines, "1"],
                ["Mon Livre", "Il partit le soir même sans rien dire.", "2"],
                ["Mon Livre", "Fin.", "3"],
            ]
        )
    )
    reference = tmp_path / "petit.txt"
    reference.write_text(
        "Il revint chez son grand-père avec les abbés de la ville, qui étaient nombreux et très contents de le voir.\n\nIl partit le soir même sans rien dire.\n\nFin.\n",
        encoding="utf-8",
    )
    from jobs.tests.live import ROOT, cluster_env

    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "text_quality",
        str(pdf),
        "--reference",
        str(reference),
        "--limit",
        "5",
        "--json",
    ]
    done = subprocess.run(command, cwd=ROOT, env=cluster_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["recall"] == figures["precision"] == 1.0
    assert (figures["leftover_header_lines"], figures["line_end_hyphens"], figures["hyphen_error_rate"]) == (0, 2, 0.0)
    assert figures["sentences_over_limit"] == 0 and figures["pieces"] >= 4 and figures["pdf_seconds"] > 0
    printed = table(figures)
    assert (
        "word recall / precision      100.0000% / 100.0000%" in printed
        and "line-end hyphens wrong       0 of 2" in printed
    )
    assert "cuts inside a phrase" in printed and "sentences over the limit     0 of" in printed
    missing = subprocess.run(
        [*command[:4], "--reference", str(tmp_path / "absent.txt")],
        cwd=ROOT,
        env=cluster_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0 and "cannot read the reference" in missing.stderr
