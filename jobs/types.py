"""Value types that services, selectors, processing and the API pass around.

Plain dataclasses with no Django import, so that `jobs.pipeline` (free of
Django) can take `ProcessingSettings` too. The rows they name (`Job`,
`Chunk`) appear only in type hints.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobs.pipeline.chunking import ChunkPlan
from jobs.pipeline.figures import QualityFigures

if TYPE_CHECKING:
    from credits.pricing import TokenEstimate
    from jobs.models import Chunk, Job


@dataclass(frozen=True)
class Bounds:
    """The range an integer setting may take, and its default."""

    low: int
    high: int
    default: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high


# The processing settings' ranges and defaults (SPEC §3), written here once.
# `Job` exposes them (its check constraints use them), and the serializers,
# the commands and the upload page (fields, help, script) read them there.
SENTENCE_LIMIT = Bounds(low=3, high=50, default=8)
MIN_LENGTH = Bounds(low=1, high=10, default=2)
# How the local engine treats a long sentence (SPEC §8): rewritten into
# complete short sentences, or cut with no word added or lost.
REWRITE_MODES = ("simplify", "split")


@dataclass(frozen=True)
class ProcessingSettings:
    """How a job's text is rewritten: the six settings a learner chooses (SPEC §3)."""

    sentence_length_limit: int = SENTENCE_LIMIT.default
    min_sentence_length: int = MIN_LENGTH.default
    ignore_dialogue: bool = False
    preserve_formatting: bool = False
    fix_hyphenation: bool = True
    rewrite: str = REWRITE_MODES[0]

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The settings' names, which are also the `Job` fields that store them."""
        return tuple(field.name for field in dataclasses.fields(cls))

    @classmethod
    def from_job(cls, job: Job) -> ProcessingSettings:
        return cls(**{name: getattr(job, name) for name in cls.names()})

    def as_fields(self) -> dict[str, int | bool | str]:
        """The settings as `Job` field values."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ChunkOutcome:
    """What one chunk's work produced, measured outside any transaction; `chunk_record` stores it."""

    sentences: list[str]
    input_tokens: int
    output_tokens: int
    tokens_by_model: dict[str, int]
    api_calls: int = 0
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    quality: QualityFigures = QualityFigures()
    # Headings among `sentences`: {"title", "start"} (jobs.pipeline.chapters).
    chapters: list[dict] = dataclasses.field(default_factory=list)
    # The source sentence of each of `sentences` ("" where the engine cannot say; [] for none at all).
    sources: list[str] = dataclasses.field(default_factory=list)
    usage_by_model: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    finish_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    sentences_by_engine: dict[str, int] = dataclasses.field(default_factory=dict)
    engine: str = ""  # gemini, local or mixed: who wrote the sentences
    # The lemmas of the chunk's own source sentences (jobs.pipeline.vocabulary.chunk_vocabulary).
    vocabulary: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def of_rewrite(cls, result, **measured) -> ChunkOutcome:
        """The outcome of an engine's `RewriteResult` (jobs.pipeline.engines):
        every field the two share is the engine's (its `engine` property among
        them); `measured` gives the rest (timings, chapters, vocabulary) and
        may replace its quality."""
        written = {
            field.name: getattr(result, field.name) for field in dataclasses.fields(cls) if hasattr(result, field.name)
        }
        return cls(**(written | measured))

    @property
    def models_used(self) -> list[str]:
        """The Gemini models whose text was kept (those that answered, when
        some Gemini text was), and "local" when the local engine wrote some."""
        models = sorted(self.usage_by_model) if self.sentences_by_engine.get("gemini") else []
        return [*models, "local"] if self.sentences_by_engine.get("local") else models


@dataclass(frozen=True)
class Estimate:
    """What a book would cost as a new job, before anything is reserved (POST jobs/estimate)."""

    page_count: int
    engine: str
    model_preference: str
    economy: bool
    plan: ChunkPlan
    tokens: TokenEstimate
    estimated_credits: int
    credit_rates: dict[str, float]  # credits per 1000 input and per 1000 output tokens
    balance: int

    @property
    def estimated_tokens(self) -> int:
        return self.tokens.total

    @property
    def balance_after(self) -> int:
        return self.balance - self.estimated_credits


@dataclass(frozen=True)
class ClaimedChunk:
    chunk: Chunk
    job: Job
    token: uuid.UUID


@dataclass(frozen=True)
class Reconciliation:
    job: Job
    estimated_credits: int
    actual_credits: int
    refunded: int

    @property
    def adjustment(self) -> int:
        return self.actual_credits - self.estimated_credits
