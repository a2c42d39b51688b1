"""The cleaning and the local engine on real books against their plain-text
references, for each rewrite mode and several word limits (issues #5, #12).

    .venv/bin/python bench/text_quality.py ../shared/data/albert-savarus-115p.pdf ../shared/data/la-reine-du-sabbat-457p.pdf --limits 5 8 12 20 --sample 40

For each book (its reference is the ``.txt`` beside the PDF), mode and limit
it prints the judge's figures (SPEC §8, ``jobs.pipeline.quality``): the
complete share of the output lines next to the source's own sentences judged
the same way and their ratio, content coverage and invented share, lines over
the limit; for ``split``, the cut-at-comma baseline's complete share and the
verbatim recall and precision against the reference. Then the CPU: pypdf (in
its sandboxed reader processes), cleaning, and the engine with its judge, with
words per second. The speed reference, in the same run, is spaCy alone
parsing the book's sentences once (``nlp.pipe``): engine / parse says what
rewriting and judging add to the parse they need.

``--sample N`` then prints N output lines of each book at limit 8 in
``simplify`` mode, drawn with a fixed seed, beside their source sentence, to
be read as a French teacher would.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", type=Path, nargs="+")
    parser.add_argument("--limits", type=int, nargs="+", default=[5, 8, 12, 20])
    parser.add_argument("--modes", nargs="+", default=["simplify", "split"])
    parser.add_argument("--sample", type=int, default=0)
    args = parser.parse_args()
    from devtools.scratch import setup_scratch_django

    setup_scratch_django()
    from jobs.management.commands.text_quality import read_book
    from jobs.pipeline import local_engine, report

    started = time.process_time()
    local_engine.load()
    print(f"spaCy model ({local_engine.MODEL}) and lexicon loaded once: {time.process_time() - started:.1f} s CPU\n")
    print(
        "| book | mode | limit | complete | source's own | ratio | content kept | invented | over limit "
        "| comma baseline complete | recall / precision | CPU pypdf + cleaning + engine | words/s | engine / parse |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    samples = {}
    for pdf in args.pdfs:
        pages, pdf_seconds = read_book(pdf)
        reference = pdf.with_suffix(".txt").read_text(encoding="utf-8")
        parse_seconds = plain_parse_seconds(pages)
        for mode in args.modes:
            for limit in args.limits:
                split = mode == "split"
                sample = args.sample if mode == "simplify" and limit == 8 else 0
                r = report.measure(pages, reference, limit=limit, mode=mode, baseline=split, sample=sample)
                if sample:
                    samples[pdf.stem] = r.sample
                cpu = pdf_seconds + r.cleaning_seconds + r.engine_seconds
                baseline = f"{r.baseline_complete_share:.1%}" if r.baseline_complete_share is not None else ""
                print(
                    f"| {pdf.stem} | {mode} | {limit} | {r.complete_share:.1%} | {r.source_complete_share:.1%} | "
                    f"{r.complete_share / max(r.source_complete_share, 1e-9):.3f} | {r.content_coverage:.2%} | "
                    f"{r.invented_share:.2%} | {r.sentences_over_limit} / {r.sentences} | {baseline} | "
                    f"{r.recall:.3%} / {r.precision:.3%} | "
                    f"{cpu:.1f} s = {pdf_seconds:.1f} + {r.cleaning_seconds:.1f} + {r.engine_seconds:.1f} | "
                    f"{r.words / cpu:.0f} | {r.engine_seconds / parse_seconds:.2f} |",
                    flush=True,
                )
    for book, pairs in samples.items():
        print(f"\n{book}, simplify, limit 8: {len(pairs)} lines drawn with seed {report.SAMPLE_SEED}\n")
        for source, line in pairs:
            print(f"- **{line}**  \n  ← {source}")


def plain_parse_seconds(pages: list[str]) -> float:
    """CPU of spaCy alone parsing the book's sentences once."""
    from jobs.pipeline import local_engine
    from jobs.pipeline.text import chunk_source

    source = chunk_source(lambda first, last: pages[first - 1 : last], first=1, last=len(pages), page_count=len(pages))
    started = time.process_time()
    for _ in local_engine.nlp().pipe([s.text for s in source.sentences], batch_size=local_engine.BATCH_SIZE):
        pass
    return time.process_time() - started


if __name__ == "__main__":
    main()
