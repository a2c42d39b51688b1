"""One entry point for both engines: a chunk's owned sentences → short
sentences, what they cost and how good they are.

``rewrite(source, settings, engine)`` is what the chunk task
(``jobs.processing``) calls, and the text-quality measurement (the
``text_quality`` command and ``bench/text_quality.py``, through
``quality.measure``). ``engine`` says which engine, and for Gemini carries
what the call needs from its caller: the client configuration, the
cluster-wide quota, the stop check and where to say it is waiting.

Plain Python: no Django here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobs.pipeline import local_engine
from jobs.pipeline.figures import QualityFigures
from jobs.pipeline.text import ChunkSource
from jobs.pipeline.words import count_words
from jobs.types import ProcessingSettings

if TYPE_CHECKING:
    from jobs.pipeline.gemini_calls import GeminiConfig, SpentModels


@dataclass(frozen=True)
class LocalEngine:
    """The built-in French engine (spaCy's parse); it checks every piece it cuts for a finite verb."""


@dataclass(frozen=True)
class GeminiEngine:
    """Gemini through google-genai. ``acquire(model, tokens)`` waits for the
    quota and returns False to refuse the call; ``should_stop`` is asked before
    every call and during every wait; ``on_wait`` hears what it waits for."""

    config: GeminiConfig
    acquire: Callable[[str, int], object] | None = None
    should_stop: Callable[[], bool] = lambda: False
    on_wait: Callable[[str], None] = lambda step: None
    spent_models: SpentModels | None = None  # daily quotas spent, remembered across chunks
    # Sentences of a chunk checked for a finite verb: parsing all of them would
    # cost this machine's CPU as much as pypdf does (docs/benchmarks.md).
    verb_sample: int = 40


LOCAL = LocalEngine()


@dataclass(frozen=True)
class RewriteResult:
    sentences: list[str]
    input_tokens: int
    output_tokens: int
    tokens_by_model: dict[str, int]  # total tokens per model ("local" for the local engine): each billed at its rate
    api_calls: int
    quality: QualityFigures  # of these sentences; engine_seconds is the caller's to time
    # Gemini's side: what it reported per model, each answer's finish reason,
    # and who wrote how many sentences ({"gemini": n, "local": m}).
    usage_by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    finish_reasons: dict[str, int] = field(default_factory=dict)
    sentences_by_engine: dict[str, int] = field(default_factory=dict)

    @property
    def engine(self) -> str:
        """gemini, local or mixed: who wrote the sentences."""
        written = {name for name, count in self.sentences_by_engine.items() if count}
        return written.pop() if len(written) == 1 else ("mixed" if written else "local")


def rewrite(source: ChunkSource, settings: ProcessingSettings, engine: LocalEngine | GeminiEngine) -> RewriteResult:
    """Raises gemini_calls.GeminiStopped when ``should_stop`` said so and
    GeminiChunkFailed when Gemini gave no usable answer (with what was spent)."""
    if isinstance(engine, GeminiEngine):
        return _rewrite_with_gemini(source, settings, engine)
    return _rewrite_locally(source, settings)


def _rewrite_locally(source: ChunkSource, settings: ProcessingSettings) -> RewriteResult:
    result = local_engine.rewrite(
        source.sentences,
        limit=settings.sentence_length_limit,
        min_length=settings.min_sentence_length,
        ignore_dialogue=settings.ignore_dialogue,
        preserve_formatting=settings.preserve_formatting,
    )
    return RewriteResult(
        sentences=result.sentences,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        tokens_by_model={"local": result.input_tokens + result.output_tokens},
        api_calls=0,
        sentences_by_engine={"local": sum(1 for s in result.sentences if s)},
        quality=measure_output(
            result.sentences,
            limit=settings.sentence_length_limit,
            pieces=result.pieces,
            checked=result.pieces,
            without_verb=result.pieces_without_verb,
        ),
    )


def _rewrite_with_gemini(source: ChunkSource, settings: ProcessingSettings, engine: GeminiEngine) -> RewriteResult:
    # Loaded here, not at the top: the local engine's callers (the quality
    # command, its bench) need not pay for google-genai (seconds to import).
    from jobs.pipeline import gemini_engine

    result = gemini_engine.rewrite(
        source.sentences,
        context_before=source.context_before,
        context_after=source.context_after,
        limit=settings.sentence_length_limit,
        min_length=settings.min_sentence_length,
        ignore_dialogue=settings.ignore_dialogue,
        preserve_formatting=settings.preserve_formatting,
        fix_hyphenation=settings.fix_hyphenation,
        config=engine.config,
        acquire=engine.acquire,
        should_stop=engine.should_stop,
        on_wait=engine.on_wait,
        spent_models=engine.spent_models,
    )
    # Gemini rewrote every sentence, so each is a piece; a fixed sample of them is parsed.
    pieces = [sentence for sentence in result.sentences if sentence.strip()]
    checked = verb_sample(pieces, size=engine.verb_sample)
    return RewriteResult(
        sentences=result.sentences,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        tokens_by_model=result.tokens_by_model,
        api_calls=result.api_calls,
        usage_by_model=result.usage_by_model,
        finish_reasons=result.finish_reasons,
        sentences_by_engine=result.sentences_by_engine,
        quality=measure_output(
            result.sentences,
            limit=settings.sentence_length_limit,
            pieces=len(pieces),
            checked=len(checked),
            without_verb=local_engine.count_without_verb(checked),
        ),
    )


def measure_output(sentences: list[str], *, limit: int, pieces: int, checked: int, without_verb: int) -> QualityFigures:
    """The figures of what an engine returned, given what it knows of its
    pieces. Words and the limit are measured on the output, not assumed
    from the engine's promise."""
    words = [count_words(sentence) for sentence in sentences]
    return QualityFigures(
        sentences=len(sentences),
        sentences_over_limit=sum(count > limit for count in words),
        pieces=pieces,
        pieces_checked=checked,
        pieces_without_verb=without_verb,
        words=sum(words),
    )


def verb_sample(pieces: list[str], *, size: int) -> list[str]:
    """At most ``size`` pieces, evenly spread over the chunk (deterministic)."""
    return pieces[:: math.ceil(len(pieces) / size)] if len(pieces) > size else pieces
