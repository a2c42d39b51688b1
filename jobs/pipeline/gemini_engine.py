"""The Gemini engine: one chunk's owned sentences → short sentences.

One entry point, :func:`rewrite`, called by the chunk task outside any
transaction. What it guarantees whatever Gemini answers: every output
sentence has at most ``limit`` words (an answer that breaks the limit gets
one repair call, then the local engine splits what is still too long; an
answer that stays unusable after the repair is replaced by the local
engine's sentences for the whole chunk). The prompt is
:mod:`gemini_prompt`'s, the calls :mod:`gemini_calls`'.

Plain Python and google-genai: no Django here.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from jobs.pipeline import local_engine
from jobs.pipeline.gemini_calls import GeminiChunkFailed, GeminiConfig, QuotaExhausted, Session
from jobs.pipeline.gemini_prompt import SYSTEM_INSTRUCTION, build_prompt, parse_answer, repair_prompt
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import count_words

logger = logging.getLogger(__name__)

# Output tokens per source token: short sentences repeat subjects, and JSON quotes them.
OUTPUT_TOKEN_FACTOR = 1.3
MAX_OUTPUT_TOKENS_CEILING = 65536


@dataclass(frozen=True)
class GeminiResult:
    sentences: list[str]
    input_tokens: int  # prompt tokens over every call (retries, repairs included)
    output_tokens: int  # candidates + thoughts tokens over every call
    api_calls: int  # every attempt counted
    tokens_by_model: dict[str, int]  # total tokens billed per model


def rewrite(
    sentences: list[SourceSentence],
    *,
    context_before: str,
    context_after: str,
    limit: int,
    min_length: int,
    ignore_dialogue: bool,
    preserve_formatting: bool,
    fix_hyphenation: bool,
    config: GeminiConfig,
    acquire: Callable[[str, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_wait: Callable[[str], None] = lambda msg: None,
    sleep: Callable[[float], None] = time.sleep,
) -> GeminiResult:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    # Dialogue is left out here, with the local engine's own rule, so both engines agree on what it is.
    kept = [s for s in sentences if not (ignore_dialogue and local_engine.is_dialogue(s))]
    if not kept:
        return GeminiResult([], 0, 0, 0, {})
    session = Session(config, acquire, should_stop, on_wait, sleep)
    prompt = build_prompt(
        kept,
        context_before=context_before,
        context_after=context_after,
        limit=limit,
        min_length=min_length,
        ignore_dialogue=ignore_dialogue,
        preserve_formatting=preserve_formatting,
        fix_hyphenation=fix_hyphenation,
    )
    options = dict(limit=limit, min_length=min_length, preserve_formatting=preserve_formatting)
    models = [config.model]
    if config.fallback_model and config.fallback_model != config.model:
        models.append(config.fallback_model)
    for index, model in enumerate(models):
        try:
            sentences_out = _answer_from(session, model, prompt, kept, **options)
        except QuotaExhausted as exhausted:
            if index + 1 < len(models):
                logger.warning("Gemini quota exhausted on %s; falling back to %s", model, models[index + 1])
                continue
            raise session.failed(
                "GEMINI_QUOTA", f"Gemini quota exhausted ({', '.join(models)}): {exhausted.error.message}"
            ) from exhausted
        return GeminiResult(
            sentences=sentences_out,
            input_tokens=session.input_tokens,
            output_tokens=session.output_tokens,
            api_calls=session.api_calls,
            tokens_by_model=dict(session.tokens_by_model),
        )
    raise AssertionError("unreachable")


def _answer_from(
    session: Session,
    model: str,
    prompt: str,
    kept: list[SourceSentence],
    *,
    limit: int,
    min_length: int,
    preserve_formatting: bool,
) -> list[str]:
    """Ask, check, repair once, then let the local engine enforce the limit."""
    expected_words = sum(count_words(s.text) for s in kept)
    source_tokens = math.ceil(sum(len(s.text) for s in kept) / 4)
    estimated = math.ceil((len(SYSTEM_INSTRUCTION) + len(prompt)) / 4) + math.ceil(source_tokens * OUTPUT_TOKEN_FACTOR)
    max_output = session.config.max_output_tokens
    check = dict(limit=limit, expected_words=expected_words, preserve_formatting=preserve_formatting)

    answer = parse_answer(
        session.call(model, prompt, estimated_tokens=estimated, max_output_tokens=max_output), **check
    )
    if answer.problem:
        if answer.sentences is None and "MAX_TOKENS" in answer.problem:
            max_output = min(MAX_OUTPUT_TOKENS_CEILING, max_output * 2)
        logger.info("Gemini %s answer needs a repair: %s", model, answer.problem.splitlines()[0])
        try:
            response = session.call(
                model,
                repair_prompt(prompt, answer.problem, limit=limit),
                estimated_tokens=estimated,
                max_output_tokens=max_output,
            )
        except (GeminiChunkFailed, QuotaExhausted):
            if answer.sentences is None:
                raise
            response = None  # the first answer is usable: the local engine splits what is too long
        repaired = parse_answer(response, **check) if response is not None else None
        if repaired is not None and (repaired.sentences is not None or answer.sentences is None):
            answer = repaired
    if answer.sentences is None:
        logger.warning(
            "Gemini %s answer unusable after a repair (%s); local engine for this chunk", model, answer.problem
        )
        return local_engine.rewrite(
            kept, limit=limit, min_length=min_length, preserve_formatting=preserve_formatting
        ).sentences
    return enforce_limit(answer.sentences, limit=limit, min_length=min_length)


def enforce_limit(sentences: list[str], *, limit: int, min_length: int) -> list[str]:
    """The sentences, those over the limit split by the local engine."""
    out: list[str] = []
    for sentence in sentences:
        if count_words(sentence) <= limit:
            out.append(sentence)
        else:
            out.extend(
                local_engine.rewrite([SourceSentence(text=sentence)], limit=limit, min_length=min_length).sentences
            )
    return out
