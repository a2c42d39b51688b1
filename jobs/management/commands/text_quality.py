"""How faithful the cleaning and how good the local engine are on one book,
against its plain-text reference (see ``jobs.pipeline.report``)."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jobs.models import Job, Rewrite
from jobs.pipeline import local_engine, report
from jobs.pipeline.pdf import READER, PdfRejected, extract_pages, inspect_pdf


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_book(path: Path) -> tuple[list[str], float]:
    """The raw page texts, through the same sandboxed reader as the workers,
    and the CPU seconds that reading cost (in the reader's processes)."""
    before = children_cpu()
    info = inspect_pdf(path, max_pages=settings.MAX_PDF_PAGES, timeout=settings.PDF_INSPECT_TIMEOUT)
    pages = extract_pages(path, 1, info.page_count, timeout=settings.PDF_EXTRACT_TIMEOUT)
    READER.stop()  # a stopped reader's CPU, and its children's, is counted as ours
    return pages, children_cpu() - before


class Command(BaseCommand):
    help = "Measure the cleaning and the local engine on a book against its plain-text reference."

    def add_arguments(self, parser):
        parser.add_argument("pdf", type=Path)
        parser.add_argument(
            "--reference", type=Path, required=True, help="The book's text as plain paragraphs (UTF-8)."
        )
        parser.add_argument(
            "--limit", type=int, action="append", help=f"Word limit (repeatable; default {Job.SENTENCE_LIMIT.default})."
        )
        parser.add_argument("--min-length", type=int, default=Job.MIN_LENGTH.default)
        parser.add_argument(
            "--rewrite", choices=Rewrite.values, action="append", help="Mode (repeatable; default simplify)."
        )
        parser.add_argument("--baseline", action="store_true", help="Also judge the cut-at-comma baseline.")
        parser.add_argument("--json", action="store_true", help="One JSON object per limit instead of a table.")

    def handle(
        self,
        *args,
        pdf: Path,
        reference: Path,
        limit: list[int] | None,
        min_length: int,
        json: bool,
        rewrite: list[str] | None,
        baseline: bool,
        **options,
    ):
        limits = limit or [Job.SENTENCE_LIMIT.default]
        if any(value not in Job.SENTENCE_LIMIT for value in limits):
            raise CommandError(f"--limit must be between {Job.SENTENCE_LIMIT.low} and {Job.SENTENCE_LIMIT.high}")
        try:
            reference_text = reference.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the reference {reference}: {exc}") from exc
        try:
            pages, pdf_seconds = read_book(pdf)
        except (PdfRejected, OSError) as exc:
            raise CommandError(f"cannot read {pdf}: {exc}") from exc
        started = time.process_time()
        local_engine.load()
        load_seconds = time.process_time() - started
        for mode in rewrite or [Rewrite.SIMPLIFY]:
            for value in limits:
                measured = report.measure(
                    pages, reference_text, limit=value, min_length=min_length, mode=mode, baseline=baseline
                )
                figures = {**measured.as_dict(), "pdf_seconds": pdf_seconds, "model_load_seconds": load_seconds}
                self.stdout.write(dumps(figures) if json else table(figures) + "\n\n")


def dumps(figures: dict) -> str:
    return json.dumps({key: round(value, 6) if isinstance(value, float) else value for key, value in figures.items()})


def table(f: dict) -> str:
    cpu = f["pdf_seconds"] + f["cleaning_seconds"] + f["engine_seconds"]
    return "\n".join(
        [
            f"{f['mode']}, limit {f['limit']}, {f['pages']} pages",
            f"  word recall / precision      {f['recall']:.4%} / {f['precision']:.4%}  ({f['reference_tokens']} reference tokens, {f['output_tokens']} output)",
            f"  running headers left         {f['leftover_header_lines']}",
            f"  line-end hyphens wrong       {f['hyphens_wrongly_joined'] + f['hyphens_left_split']} of {f['line_end_hyphens']} ({f['hyphen_error_rate']:.3%}): "
            f"{f['hyphens_wrongly_joined']} real hyphens joined, {f['hyphens_left_split']} left split",
            f"  sentences over the limit     {f['sentences_over_limit']} of {f['sentences']} ({f['over_limit_share']:.3%})",
            f"  complete sentences           {f['complete_share']:.1%} of lines (the source's own {f['source_complete_share']:.1%}"
            + (
                f"; cut-at-comma baseline {f['baseline_complete_share']:.1%})"
                if f["baseline_complete_share"] is not None
                else ")"
            ),
            f"  content kept / invented      {f['content_coverage']:.2%} / {f['invented_share']:.2%}",
            f"  CPU                          {cpu:.1f} s: pypdf {f['pdf_seconds']:.1f}, cleaning {f['cleaning_seconds']:.1f}, engine {f['engine_seconds']:.1f} "
            f"(+ {f['model_load_seconds']:.1f} s loading spaCy once)",
            f"  words per second             {f['words_per_second']:.0f} (cleaning + engine), {f['words'] / max(cpu, 1e-9):.0f} with pypdf",
        ]
    )
