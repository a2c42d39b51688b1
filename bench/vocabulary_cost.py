"""What the vocabulary adds to a book's processing (issue #17): CPU seconds
per stage, chunk by chunk as the workers run them, on the local engine.

    .venv/bin/python bench/vocabulary_cost.py ../shared/data/la-reine-du-sabbat-457p.pdf

Each page is read once with pypdf (as the job's page store makes it), then
each chunk of the service's plan is cleaned, rewritten by the local engine,
and its vocabulary counted the way jobs.processing does it: lemmatised and
counted on the engine's own parse of the chunk's source sentences
(`RewriteResult.source_docs`), with no second tagging pass. The reference is
the same run's processing without it (pdf, cleaning, engine). CPU is the
process's own (time.process_time) plus pypdf's reader processes
(RUSAGE_CHILDREN).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args()

    from jobs.pipeline import engines, local_engine, vocabulary
    from jobs.pipeline.chunking import plan_chunks
    from jobs.pipeline.pdf import READER, extract_pages, inspect_pdf
    from jobs.pipeline.text import chunk_source
    from jobs.types import ProcessingSettings

    local_engine.load()
    vocabulary.load()
    page_count = inspect_pdf(args.pdf, max_pages=500).page_count
    plan = plan_chunks(page_count)
    cpu = dict.fromkeys(("pdf", "cleaning", "engine", "vocabulary"), 0.0)

    started = children_cpu() + time.process_time()
    pages = extract_pages(args.pdf, 1, page_count)
    READER.stop()  # a stopped reader's CPU, and its children's, is counted as ours
    cpu["pdf"] = children_cpu() + time.process_time() - started
    settings = ProcessingSettings(sentence_length_limit=args.limit)
    sentences = lemmas = 0
    for first, last in plan.ranges:
        mark = time.process_time()
        source = chunk_source(lambda a, b: pages[a - 1 : b], first=first, last=last, page_count=page_count)
        cpu["cleaning"] += time.process_time() - mark
        mark = time.process_time()
        result = engines.rewrite(source, settings, engines.LOCAL)
        cpu["engine"] += time.process_time() - mark
        mark = time.process_time()
        counted = vocabulary.chunk_vocabulary([doc.text for doc in result.source_docs], result.source_docs)
        cpu["vocabulary"] += time.process_time() - mark
        sentences += len(result.sentences)
        lemmas += len(counted["lemmas"])

    book = cpu["pdf"] + cpu["cleaning"] + cpu["engine"]
    print(
        f"{args.pdf.name}: {page_count} pages, {len(plan.ranges)} chunks, {sentences} sentences, {lemmas} chunk lemmas"
    )
    for stage, seconds in cpu.items():
        print(f"  {stage:<28} {seconds:8.1f} s")
    print(f"  {'processing without it':<28} {book:8.1f} s")
    print(f"  the vocabulary adds:         +{cpu['vocabulary']:.1f} s = +{100 * cpu['vocabulary'] / book:.1f} %")


if __name__ == "__main__":
    main()
