"""One entry point for both engines: a chunk's owned sentences → short
sentences, what they cost and how good they are.

``rewrite(source, settings, engine)`` is what the chunk task
(``jobs.processing``) calls, and the text-quality measurement (the
``text_quality`` command and ``bench/text_quality.py``, through
``report.measure``). ``engine`` says which engine, and for Gemini carries
what the call needs from its caller: the client configuration, the
cluster-wide quota, the stop check and where to say it is waiting.

Plain Python: no Django here.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobs.pipeline import local_engine, quality
from jobs.pipeline.figures import QualityFigures
from jobs.pipeline.text import ChunkSource
from jobs.pipeline.words import count_words
from jobs.types import ProcessingSettings

if TYPE_CHECKING:
    from jobs.pipeline.gemini_calls import GeminiConfig, SpentModels


@dataclass(frozen=True)
class LocalEngine:
    """The built-in French engine (spaCy's parse): it rewrites or cuts each long sentence."""


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
    # The chunk's text is sent as this many calls at once, each from a thread
    # that calls thread_done as it ends (see gemini_engine.rewrite).
    sections: int = 1
    thread_done: Callable[[], None] = lambda: None


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
    # Parallel to sentences: the source sentence each came from ("" for a
    # paragraph mark, and where the engine cannot say: Gemini rewrites a chunk at once).
    sources: list[str] = field(default_factory=list)
    # The parse of the source sentences the job keeps, which the judge read:
    # the chunk's vocabulary is counted on it, not on a second parse.
    source_docs: list = field(default_factory=list, repr=False)

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
        mode=settings.rewrite,
    )
    # A sentence kept as it is was parsed alone already, as the judge reads a
    # line: its parse is the line's (the same text gives the same parse).
    kept = [lines == [text] for text, lines in result.groups]
    line_docs = iter(
        parse([line for (_, lines), same in zip(result.groups, kept, strict=True) for line in lines if not same])
    )
    groups = [
        ([doc], [doc] if same else [next(line_docs) for _ in lines])
        for doc, (_, lines), same in zip(result.docs, result.groups, kept, strict=True)
    ]
    return RewriteResult(
        sentences=result.sentences,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        tokens_by_model={"local": result.input_tokens + result.output_tokens},
        api_calls=0,
        sentences_by_engine={"local": sum(1 for s in result.sentences if s)},
        quality=measure_output(result.sentences, limit=settings.sentence_length_limit, groups=groups),
        sources=result.sources,
        source_docs=result.docs,
    )


def _rewrite_with_gemini(source: ChunkSource, settings: ProcessingSettings, engine: GeminiEngine) -> RewriteResult:
    # Loaded here, not at the top: the local engine's callers (the quality
    # command, its bench) need not pay for google-genai (seconds to import).
    from jobs.pipeline import gemini_engine

    kept = [s.text for s in source.sentences if not (settings.ignore_dialogue and local_engine.is_dialogue(s))]
    # The source's parse (the judge's, the vocabulary's) runs while the calls
    # are out, on a core that is only waiting for them: parsed after the
    # last answer, it was CPU on the chunk's way to its end.
    reader = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="source-parse")
    source_parse = reader.submit(local_engine.parse_alone, kept, {})
    try:
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
            sections=engine.sections,
            thread_done=engine.thread_done,
        )
    finally:
        reader.shutdown(wait=False)  # a stop or a failure does not wait for the parse
    # Every line Gemini wrote is judged; its content is compared with the
    # chunk's source as a whole, since Gemini rewrites the chunk at once.
    # Each text is parsed once: a line the fragment check parsed, and a line
    # that is a source sentence kept as it is, read the parse already made.
    source_docs = source_parse.result()
    parsed = {**dict(zip(kept, source_docs, strict=True)), **result.parsed}
    lines = [sentence for sentence in result.sentences if sentence.strip()]
    groups = [(source_docs, local_engine.parse_alone(lines, parsed))]
    return RewriteResult(
        sentences=result.sentences,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        tokens_by_model=result.tokens_by_model,
        api_calls=result.api_calls,
        usage_by_model=result.usage_by_model,
        finish_reasons=result.finish_reasons,
        sentences_by_engine=result.sentences_by_engine,
        quality=measure_output(result.sentences, limit=settings.sentence_length_limit, groups=groups),
        sources=["" for _ in result.sentences],
        source_docs=source_docs,
    )


def parse(texts: list[str]) -> list:
    return list(local_engine.nlp().pipe(texts, batch_size=local_engine.BATCH_SIZE)) if texts else []


def measure_output(sentences: list[str], *, limit: int, groups: list[tuple[list, list]]) -> QualityFigures:
    """The figures of what an engine returned: the judge's, and words and
    the limit measured on the output, not assumed from the engine's promise."""
    words = [count_words(sentence) for sentence in sentences]
    judgement = quality.judge(groups)
    return QualityFigures(
        sentences=len(sentences),
        sentences_over_limit=sum(count > limit for count in words),
        words=sum(words),
        **vars(judgement),
    )
