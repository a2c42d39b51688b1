"""The engine's quality figures (SPEC §8): the one place that says which exist.

The engines measure them on each chunk's output (``engines.rewrite``). The
``Chunk`` and ``Job`` rows store the counts under the same names, the job's
summed over its recorded chunks. ``JobQualitySerializer`` shows them with
their shares to the API and to the job's socket, and the ``quality_line``
template tag writes them in one line for the job page and the admin
(``static/js/job.js`` writes the same line from the same payload).

No import here: web processes read this shape without loading an engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class QualityFigures:
    """Figures of some output: one chunk's, or a job's over its recorded chunks."""

    sentences: int = 0  # output sentences
    sentences_over_limit: int = 0  # measured on the output, not assumed from the engine's promise
    pieces: int = 0  # output sentences cut from longer ones (every sentence Gemini wrote)
    pieces_checked: int = 0  # pieces checked for a finite verb: all, or a sample of Gemini's
    pieces_without_verb: int = 0  # of the pieces checked
    words: int = 0
    engine_seconds: float = 0.0

    # The counts every recorded chunk stores and its job sums, as fields of those names.
    COUNTED: ClassVar[tuple[str, ...]] = (
        "pieces",
        "pieces_checked",
        "pieces_without_verb",
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
    def pieces_without_verb_share(self) -> float | None:
        return self.pieces_without_verb / self.pieces_checked if self.pieces_checked else None

    @property
    def words_per_second(self) -> float | None:
        return self.words / self.engine_seconds if self.engine_seconds else None
