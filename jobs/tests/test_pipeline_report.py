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
from jobs.pipeline import report as quality
from jobs.tests.pdfmaker import make_pdf
from jobs.tests.test_pipeline_text import BOOK, book_pages

pytestmark = pytest.mark.first_pass


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


@functools.cache
def book_report(limit: int, mode: str):
    reference = (DATA_DIR / f"{BOOK}.txt").read_text(encoding="utf-8")
    return quality.measure(book_pages(), reference, limit=limit, mode=mode, baseline=mode == "split", sample=40)


def test_real_book_split_is_faithful_to_its_reference():
    report = book_report(8, "split")
    assert report.recall >= 0.998 and report.precision >= 0.998
    assert report.leftover_header_lines == 0
    assert report.line_end_hyphens > 800
    assert report.hyphen_error_rate < 0.002
    assert report.sentences_over_limit == 0
    assert report.invented_share == 0 and report.content_coverage > 0.995  # no word added or lost


def test_real_book_simplify_writes_complete_sentences_and_keeps_the_content():
    split, simplify = book_report(8, "split"), book_report(8, "simplify")
    assert simplify.sentences_over_limit == 0
    # The book's own sentences read as sentences; cut pieces mostly do not; the rewrite mends most of them.
    assert simplify.source_complete_share == split.source_complete_share > 0.9
    assert split.complete_share < split.baseline_complete_share + 0.1 < 0.2
    assert simplify.complete_share > 0.45 > 5 * split.complete_share
    assert simplify.content_coverage >= 0.95 and simplify.invented_share <= 0.02
    # The sample to read: the same lines for the same output, each with its source sentence.
    assert len(simplify.sample) == 40 and simplify.sample == book_report(8, "simplify").sample
    assert all(source and line for source, line in simplify.sample)


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
        "--rewrite",
        "split",
        "--rewrite",
        "simplify",
        "--json",
    ]
    done = subprocess.run(command, cwd=ROOT, env=cluster_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    figures, simplified = (json.loads(line) for line in done.stdout.splitlines())
    assert (figures["mode"], simplified["mode"]) == ("split", "simplify")
    assert simplified["complete_share"] > figures["complete_share"] and simplified["sentences_over_limit"] == 0
    assert figures["recall"] == figures["precision"] == 1.0
    assert (figures["leftover_header_lines"], figures["line_end_hyphens"], figures["hyphen_error_rate"]) == (0, 2, 0.0)
    assert figures["sentences_over_limit"] == 0 and figures["pdf_seconds"] > 0
    # "Fin." has no verb: the book's own complete share is 2 sentences of 3.
    assert 0 <= figures["complete_share"] < 1 and figures["source_complete_share"] == pytest.approx(2 / 3, abs=1e-6)
    printed = table(figures)
    assert (
        "word recall / precision      100.0000% / 100.0000%" in printed
        and "line-end hyphens wrong       0 of 2" in printed
    )
    assert "complete sentences" in printed and "sentences over the limit     0 of" in printed
    missing = subprocess.run(
        [*command[:4], "--reference", str(tmp_path / "absent.txt")],
        cwd=ROOT,
        env=cluster_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0 and "cannot read the reference" in missing.stderr
