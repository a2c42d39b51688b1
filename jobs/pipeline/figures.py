"""The engine's quality figures (SPEC §8): the one place that says which exist.

The engines measure them on each chunk's output (``engines.rewrite``, with
the judge of ``quality``). The ``Chunk`` and ``Job`` rows store the counts
under the same names (``QualityCounts``), the job's summed over its recorded
chunks. ``JobQualitySerializer`` shows them with their shares to the API and
to the job's socket, and the ``quality_line`` template tag writes them in
one line for the job page and the admin (``static/js/job.js`` writes the
same line from the same payload).

No import here: web processes read this shape without loading an engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class QualityFigures:
    """Figures of some output: one chunk's, or a job's over its recorded chunks."""

    sentences: int = 0  # output sentences
    lines_judged: int = 0  # output lines the judge read (paragraph marks are no lines)
    complete_lines: int = 0  # of those, lines that read as a sentence on their own
    source_sentences: int = 0  # the source's sentences, judged the same way
    complete_source_sentences: int = 0
    source_content: int = 0  # content lemmas of the source, counted per source sentence
    kept_content: int = 0  # of those, kept by the lines written from that sentence
    output_content: int = 0  # content lemmas of the output (words the engine may add left out)
    invented_content: int = 0  # of those, found nowhere in their source
    sentences_over_limit: int = 0  # measured on the output, not assumed from the engine's promise
    words: int = 0
    engine_seconds: float = 0.0

    # The counts every recorded chunk stores and its job sums, as fields of those names.
    COUNTED: ClassVar[tuple[str, ...]] = (
        "lines_judged",
        "complete_lines",
        "source_sentences",
        "complete_source_sentences",
        "source_content",
        "kept_content",
        "output_content",
        "invented_content",
        "sentences_over_limit",
        "words",
    )
    # What the job adds up: the counts, and each chunk's engine time (kept in its timings).
    SUMMED: ClassVar[tuple[str, ...]] = (*COUNTED, "engine_seconds")

    def counted(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTED}

    def summed(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.SUMMED}

    @property
    def over_limit_share(self) -> float:
        return self.sentences_over_limit / self.sentences if self.sentences else 0.0

    @property
    def complete_share(self) -> float | None:
        return self.complete_lines / self.lines_judged if self.lines_judged else None

    @property
    def source_complete_share(self) -> float | None:
        return self.complete_source_sentences / self.source_sentences if self.source_sentences else None

    @property
    def content_coverage(self) -> float | None:
        return self.kept_content / self.source_content if self.source_content else None

    @property
    def invented_share(self) -> float | None:
        return self.invented_content / self.output_content if self.output_content else None

    @property
    def words_per_second(self) -> float | None:
        return self.words / self.engine_seconds if self.engine_seconds else None
