"""The cleaning and the local engine on real books against their plain-text
references, at several word limits (issue #5).

    .venv/bin/python bench/text_quality.py ../shared/data/albert-savarus-115p.pdf ../shared/data/la-reine-du-sabbat-457p.pdf --limits 5 8 12 20

For each book (its reference is the ``.txt`` beside the PDF) and limit it
prints recall and precision, running headers left, line-end hyphens wrong,
sentences over the limit, cut pieces without a finite verb next to the
unavoidable share and a cut-at-comma baseline measured in the same run, cuts
inside a phrase (the engine's and the baseline's), and
the CPU: pypdf (in its sandboxed reader processes), cleaning and engine, with
words per second. The speed reference, in the same run, is spaCy alone
parsing the same long sentences (``nlp.pipe``): engine / parse says what the
splitting adds to the parse it needs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", type=Path, nargs="+")
    parser.add_argument("--limits", type=int, nargs="+", default=[5, 8, 12, 20])
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="novelproc.settings",
        DEBUG="1",
        NOVELPROC_DATA_DIR=tempfile.mkdtemp(prefix="novelproc-bench-"),
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from jobs.management.commands.text_quality import read_book
    from jobs.pipeline import local_engine, quality

    started = time.process_time()
    local_engine.load()
    print(f"spaCy model and lexicon loaded once: {time.process_time() - started:.1f} s CPU\n")
    print(
        "| book | limit | recall | precision | headers left | hyphens wrong | over limit | pieces without verb | unavoidable | comma baseline | cuts inside a phrase (baseline) | CPU pypdf + cleaning + engine | words/s | engine / parse |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for pdf in args.pdfs:
        pages, pdf_seconds = read_book(pdf)
        reference = pdf.with_suffix(".txt").read_text(encoding="utf-8")
        for limit in args.limits:
            r = quality.measure(pages, reference, limit=limit)
            parse_seconds = plain_parse_seconds(pages, limit)
            cpu = pdf_seconds + r.cleaning_seconds + r.engine_seconds
            print(
                f"| {pdf.stem} | {limit} | {r.recall:.4%} | {r.precision:.4%} | {r.leftover_header_lines} | "
                f"{r.hyphens_wrongly_joined + r.hyphens_left_split} / {r.line_end_hyphens} ({r.hyphen_error_rate:.2%}) | "
                f"{r.sentences_over_limit} / {r.sentences} | {r.pieces_without_verb_share:.1%} of {r.pieces} | {r.unavoidable_without_verb_share:.1%} | "
                f"{r.baseline_without_verb_share:.1%} | {r.weak_cut_share:.1%} ({r.baseline_weak_cut_share:.1%}) | {cpu:.1f} s = {pdf_seconds:.1f} + {r.cleaning_seconds:.1f} + {r.engine_seconds:.1f} | "
                f"{r.words / cpu:.0f} ({r.words_per_second:.0f} without pypdf) | {r.engine_seconds / parse_seconds:.2f} |",
                flush=True,
            )


def plain_parse_seconds(pages: list[str], limit: int) -> float:
    """CPU of spaCy alone on the sentences the engine parses at this limit."""
    from jobs.pipeline import local_engine
    from jobs.pipeline.text import chunk_source
    from jobs.pipeline.words import count_words

    source = chunk_source(lambda first, last: pages[first - 1 : last], first=1, last=len(pages), page_count=len(pages))
    long_ones = [s.text for s in source.sentences if count_words(s.text) > limit]
    started = time.process_time()
    for _ in local_engine.nlp().pipe(long_ones, batch_size=local_engine.BATCH_SIZE):
        pass
    return time.process_time() - started


if __name__ == "__main__":
    main()
