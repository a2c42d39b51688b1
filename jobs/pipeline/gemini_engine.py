"""The Gemini engine: one chunk's owned sentences → short sentences.

One entry point, :func:`rewrite`, called by the chunk task outside any
transaction. Every answer is classified by its finish reason before its JSON
is read (:func:`gemini_prompt.parse_answer`), and each class has its own
handling:

* STOP: the sentences; those over the limit and the fragments (lines the
  judge of ``quality`` does not read as complete sentences) go to one repair call that names only them, with their neighbours,
  and its answers replace them in place; the local engine then splits what
  is still too long;
* MAX_TOKENS: the complete sentences of the cut array are kept and one call
  asks for the rest of the text only (the cap is not raised);
* RECITATION: one retry, reworded and hotter; refused again, the local engine;
* SAFETY, PROHIBITED_CONTENT, BLOCKLIST, SPII, a blocked prompt: no repair
  (it would be refused again, and paid), the local engine at once;
* empty, OTHER, malformed JSON, text lost: one repair, then the local engine.

A chunk may be cut into ``sections``, each sent as its own call at once
from a thread of its own (:func:`rewrite`): Gemini's latency follows the
tokens it writes, so a chunk in five sections answers in about a fifth of
the time, and a worker process holds many calls without more processes.
Each section is a whole chunk to the engine (its own retries, repairs,
fallback and counts, its neighbours' text as read-only context); their
sentences are joined in order, so each owned sentence is rewritten once.

The output cap follows the chunk's expected output (about twice it), so a
looping answer costs at most that. The result says which engine wrote how
many sentences and what each answer's finish reason was; text the local
engine wrote is billed at the local rate, and Gemini's tokens are billed
only when some of its text is kept. The prompt is :mod:`gemini_prompt`'s,
the calls :mod:`gemini_calls`'.

Plain Python and google-genai: no Django here.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jobs.pipeline import local_engine, quality
from jobs.pipeline.gemini_calls import (
    PAUSE_STEP,
    GeminiChunkFailed,
    GeminiConfig,
    GeminiStopped,
    ModelUnusable,
    ProcessSpentModels,
    QuotaExhausted,
    Session,
    SpentModels,
)
from jobs.pipeline.gemini_prompt import (
    REPAIR_INSTRUCTION,
    REPAIR_SCHEMA,
    SYSTEM_INSTRUCTION,
    Answer,
    Fix,
    Verdict,
    build_prompt,
    continuation_prompt,
    finish_of,
    parse_answer,
    read_corrections,
    read_sentences,
    recitation_prompt,
    repair_prompt,
    targeted_repair_prompt,
)
from jobs.pipeline.text import CONTEXT_CHARS, SourceSentence
from jobs.pipeline.words import count_words

logger = logging.getLogger(__name__)

# Output tokens per source token: short sentences repeat subjects, and JSON quotes them.
OUTPUT_TOKEN_FACTOR = 1.3
# The cap is this many times the expected output: room for a wordy answer,
# not for a loop (the cap is what a looping answer costs).
OUTPUT_CAP_FACTOR = 2
MIN_OUTPUT_CAP = 1024
# RECITATION: Google advises a retry with more randomness and other words.
RECITATION_TEMPERATURE = 1.0
# A verbless line this short is a reply or an exclamation ("Oui, monsieur."), not a cut-off clause.
FRAGMENT_MIN_WORDS = 3
# Fragments named in one repair, at most: an answer full of them is better left to the
# figures than sent back whole (the cost the targeted repair exists to avoid).
FRAGMENTS_PER_REPAIR = 20
GEMINI, LOCAL = "gemini", "local"


@dataclass(frozen=True)
class GeminiResult:
    sentences: list[str]
    input_tokens: int  # prompt tokens Gemini reported over every call (retries, repairs included)
    output_tokens: int  # candidates + thoughts tokens Gemini reported over every call
    api_calls: int  # every attempt counted
    tokens_by_model: dict[str, int]  # billed: per Gemini model when its text is kept, "local" for the local engine's
    usage_by_model: dict[str, dict[str, int]] = field(default_factory=dict)  # reported: {"input", "output"} per model
    finish_reasons: dict[str, int] = field(default_factory=dict)  # every answer's, counted
    sentences_by_engine: dict[str, int] = field(default_factory=dict)  # {"gemini": n, "local": m}
    # spaCy's parse of the lines the engine already parsed alone (the fragment
    # check), by text: the judge reads them again instead of parsing them twice.
    parsed: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Written:
    """A chunk's sentences and who wrote how many (paragraph marks are nobody's)."""

    sentences: list[str]
    by_gemini: int = 0
    by_local: int = 0
    local_tokens: int = 0  # the local engine's tokens, billed at the local rate


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
    spent_models: SpentModels | None = None,
    sections: int = 1,
    thread_done: Callable[[], None] = lambda: None,
) -> GeminiResult:
    """Raises GeminiChunkFailed when no model could serve the chunk (with
    what was spent), GeminiStopped when ``should_stop`` said so. With
    ``sections`` > 1 the owned sentences are cut into that many parts of
    about equal length, each rewritten by its own call, all at once; each
    part's thread calls ``thread_done`` as it ends (the caller closes what
    the thread opened, e.g. its database connection)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    # Dialogue is left out here, with the local engine's own rule, so both engines agree on what it is.
    kept = [s for s in sentences if not (ignore_dialogue and local_engine.is_dialogue(s))]
    if not kept:
        return GeminiResult([], 0, 0, 0, {})
    options = dict(
        limit=limit,
        min_length=min_length,
        ignore_dialogue=ignore_dialogue,
        preserve_formatting=preserve_formatting,
        fix_hyphenation=fix_hyphenation,
        config=config,
        acquire=acquire,
        on_wait=on_wait,
        sleep=sleep,
        spent_models=spent_models or _PROCESS_SPENT,
        parsed={},
    )
    parts = split_sections(kept, sections)
    if len(parts) == 1:
        result = _rewrite_section(
            kept, context_before=context_before, context_after=context_after, should_stop=should_stop, **options
        )
    else:
        result = _rewrite_sections(
            parts,
            context_before=context_before,
            context_after=context_after,
            should_stop=should_stop,
            thread_done=thread_done,
            **options,
        )
    return dataclasses.replace(result, parsed=options["parsed"])


def split_sections(kept: list[SourceSentence], sections: int) -> list[list[SourceSentence]]:
    """``kept`` in at most ``sections`` runs of consecutive sentences of about
    equal length (a sentence is never cut; no run is empty)."""
    sections = max(1, min(sections, len(kept)))
    total = sum(len(s.text) for s in kept)
    parts: list[list[SourceSentence]] = [[]]
    done = 0
    for sentence in kept:
        # A new part opens once this one holds its share of the text.
        if parts[-1] and len(parts) < sections and done >= total * len(parts) / sections:
            parts.append([])
        parts[-1].append(sentence)
        done += len(sentence.text)
    return parts


def _context(parts: list[list[SourceSentence]], index: int, before: str, after: str) -> tuple[str, str]:
    """A section's read-only context: its neighbours' text next to it, as a chunk's is."""
    if index > 0:
        before = " ".join(s.text for s in parts[index - 1])[-CONTEXT_CHARS:].lstrip()
    if index + 1 < len(parts):
        after = " ".join(s.text for s in parts[index + 1])[:CONTEXT_CHARS].rstrip()
    return before, after


def _rewrite_sections(
    parts: list[list[SourceSentence]],
    *,
    context_before: str,
    context_after: str,
    should_stop: Callable[[], bool],
    thread_done: Callable[[], None],
    **options,
) -> GeminiResult:
    """Every section's call at once, each from its own thread; the chunk's result is theirs joined in order.

    A stop (cancel, lease lost) returns at once: the calls in flight are
    dropped (their threads send nothing more and their answers are thrown
    away; the chunk records nothing, so nothing is charged). A section that
    fails stops the others before their next call and waits for them, so the
    failure reports every call the chunk paid for."""
    halted = threading.Event()
    answers: queue.Queue[tuple[int, GeminiResult | BaseException]] = queue.Queue()

    def stop() -> bool:
        return halted.is_set() or should_stop()

    def work(index: int) -> None:
        before, after = _context(parts, index, context_before, context_after)
        try:
            outcome: GeminiResult | BaseException = _rewrite_section(
                parts[index], context_before=before, context_after=after, should_stop=stop, **options
            )
        except BaseException as error:  # handed to the chunk's thread, which decides
            outcome = error
        finally:
            thread_done()
        answers.put((index, outcome))

    # Daemon threads: a dropped call must not keep the worker from exiting.
    for index in range(len(parts)):
        threading.Thread(target=work, args=(index,), name=f"gemini-section-{index}", daemon=True).start()
    results: dict[int, GeminiResult] = {}
    errors: list[BaseException] = []
    for _ in parts:
        index, outcome = _next_answer(answers, should_stop)
        if isinstance(outcome, GeminiResult):
            results[index] = outcome
            continue
        # Stopped by the caller (not by a failure's halt): the chunk is dropped as it is.
        if isinstance(outcome, GeminiStopped) and (not errors or index < 0):
            halted.set()
            raise GeminiStopped(**_spent(results.values(), [outcome, *errors]))
        halted.set()
        errors.append(outcome)
    if errors:
        failure = next((e for e in errors if isinstance(e, GeminiChunkFailed)), None)
        if failure is None:
            raise next(e for e in errors if not isinstance(e, GeminiStopped))
        spent = _spent(results.values(), errors)
        tokens_by_model = _summed(r.tokens_by_model for r in results.values())
        for error in errors:
            if isinstance(error, GeminiChunkFailed):
                tokens_by_model = _summed([tokens_by_model, error.tokens_by_model])
        raise GeminiChunkFailed(failure.code, failure.message, tokens_by_model=tokens_by_model, **spent)
    return _joined([results[index] for index in range(len(parts))])


def _next_answer(answers: queue.Queue, should_stop: Callable[[], bool]) -> tuple[int, GeminiResult | BaseException]:
    """The next section's outcome; a stop seen meanwhile (the chunk's thread
    asks every PAUSE_STEP) is the outcome, without waiting for the calls."""
    while True:
        try:
            return answers.get(timeout=PAUSE_STEP)
        except queue.Empty:
            if should_stop():
                return -1, GeminiStopped()


def _spent(results, errors) -> dict[str, int]:
    """What the sections' calls cost so far: the results' and the failures' counts."""
    counted = [*results, *(e for e in errors if isinstance(e, (GeminiChunkFailed, GeminiStopped)))]
    return {
        "api_calls": sum(c.api_calls for c in counted),
        "input_tokens": sum(c.input_tokens for c in counted),
        "output_tokens": sum(c.output_tokens for c in counted),
    }


def _summed(counts) -> dict:
    """Counts (per model, per finish reason; nested one level for usage) added key by key."""
    total: dict = {}
    for count in counts:
        for key, value in count.items():
            total[key] = _summed([total.get(key, {}), value]) if isinstance(value, dict) else total.get(key, 0) + value
    return total


def _joined(results: list[GeminiResult]) -> GeminiResult:
    return GeminiResult(
        sentences=[sentence for result in results for sentence in result.sentences],
        input_tokens=sum(r.input_tokens for r in results),
        output_tokens=sum(r.output_tokens for r in results),
        api_calls=sum(r.api_calls for r in results),
        tokens_by_model=_summed(r.tokens_by_model for r in results),
        usage_by_model=_summed(r.usage_by_model for r in results),
        finish_reasons=_summed(r.finish_reasons for r in results),
        sentences_by_engine=_summed(r.sentences_by_engine for r in results),
    )


def _rewrite_section(
    kept: list[SourceSentence],
    *,
    context_before: str,
    context_after: str,
    limit: int,
    min_length: int,
    ignore_dialogue: bool,
    preserve_formatting: bool,
    fix_hyphenation: bool,
    config: GeminiConfig,
    acquire: Callable[[str, int], None] | None,
    should_stop: Callable[[], bool],
    on_wait: Callable[[str], None],
    sleep: Callable[[float], None],
    spent_models: SpentModels,
    parsed: dict[str, Any],
) -> GeminiResult:
    """One call's text (a chunk, or a section of one) through the models in turn."""
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
    options = dict(limit=limit, min_length=min_length, preserve_formatting=preserve_formatting, parsed=parsed)
    models = [config.model]
    if config.fallback_model and config.fallback_model != config.model:
        models.append(config.fallback_model)
    problems: list[tuple[str, str]] = []
    for model in models:
        if spent_models.spent(model):
            problems.append(("GEMINI_QUOTA", f"Gemini {model}: daily quota spent (remembered)"))
            continue  # a daily quota stays spent until it resets: no call, no wait
        try:
            return _result(session, _answer_from(session, model, prompt, kept, **options))
        except QuotaExhausted as exhausted:
            problems.append(("GEMINI_QUOTA", f"Gemini {model}: quota exhausted ({exhausted.error.message})"))
        except ModelUnusable as unusable:
            if unusable.spent_for:
                spent_models.remember(model, unusable.spent_for)
            problems.append((unusable.code, unusable.message))
        logger.warning("Gemini %s cannot serve this chunk (%s); trying the next model", model, problems[-1][1])
    code = problems[-1][0]
    raise session.failed(code, "; ".join(message for _, message in problems))


# Daily quotas seen by this process, when the caller keeps no cluster-wide memory.
_PROCESS_SPENT = ProcessSpentModels()


def _result(session: Session, written: Written) -> GeminiResult:
    # Gemini's tokens are billed when some of its text is kept; a chunk the
    # local engine wrote wholly (refused, blocked, unusable) costs the local rate.
    billed = dict(session.tokens_by_model) if written.by_gemini else {}
    if written.local_tokens:
        billed[LOCAL] = written.local_tokens
    return GeminiResult(
        sentences=written.sentences,
        input_tokens=session.input_tokens,
        output_tokens=session.output_tokens,
        api_calls=session.api_calls,
        tokens_by_model=billed,
        usage_by_model={model: dict(usage) for model, usage in session.usage_by_model.items()},
        finish_reasons=dict(session.finish_reasons),
        sentences_by_engine={GEMINI: written.by_gemini, LOCAL: written.by_local},
    )


@dataclass
class _Asker:
    """One model's calls for one chunk, each answer classified and its finish reason counted."""

    session: Session
    model: str
    estimated_tokens: int
    limit: int
    preserve_formatting: bool

    def ask(self, prompt: str, *, expected_words: int, cap: int, temperature: float | None = None) -> Answer:
        extra = {} if temperature is None else {"temperature": temperature}
        response = self.session.call(
            self.model, prompt, estimated_tokens=self.estimated_tokens, max_output_tokens=cap, **extra
        )
        answer = parse_answer(
            response, limit=self.limit, expected_words=expected_words, preserve_formatting=self.preserve_formatting
        )
        self.session.finish_reasons[answer.finish] += 1
        if answer.verdict is not Verdict.USABLE or answer.problem:
            logger.info("Gemini %s answer: %s %s", self.model, answer.finish, (answer.problem or "").split("\n")[0])
        return answer


def output_cap(expected_output_tokens: int, *, model: str, ceiling: int, config: GeminiConfig | None = None) -> int:
    """About twice the expected output, plus what thinking may spend, within
    the configured ceiling and the model's own cap."""
    row = config.capabilities(model) if config else GeminiConfig(api_key="").capabilities(model)
    ceiling = min(ceiling, row.max_output_tokens)
    return min(ceiling, max(MIN_OUTPUT_CAP, OUTPUT_CAP_FACTOR * expected_output_tokens + row.thinking_allowance))


def _answer_from(
    session: Session,
    model: str,
    prompt: str,
    kept: list[SourceSentence],
    *,
    limit: int,
    min_length: int,
    preserve_formatting: bool,
    parsed: dict[str, Any] | None = None,
) -> Written:
    """Ask, handle the answer's class, then let the local engine enforce the limit."""
    expected_words = sum(count_words(s.text) for s in kept)
    expected_output = math.ceil(sum(len(s.text) for s in kept) / 4 * OUTPUT_TOKEN_FACTOR)
    # What the quota's tokens per minute count: the input (Google's TPM counts no output).
    estimated = math.ceil((len(SYSTEM_INSTRUCTION) + len(prompt)) / 4)
    cap = output_cap(expected_output, model=model, ceiling=session.config.max_output_tokens, config=session.config)
    asker = _Asker(session, model, estimated, limit, preserve_formatting)
    local = dict(limit=limit, min_length=min_length, preserve_formatting=preserve_formatting)

    answer = asker.ask(prompt, expected_words=expected_words, cap=cap)
    if answer.verdict is Verdict.RECITATION:
        answer = asker.ask(
            recitation_prompt(prompt), expected_words=expected_words, cap=cap, temperature=RECITATION_TEMPERATURE
        )
    if answer.verdict is Verdict.CUT:
        answer = _rest_of_cut(asker, prompt, answer, expected_words=expected_words, expected_output=expected_output)
    elif answer.verdict is Verdict.REPAIR:
        answer = asker.ask(repair_prompt(prompt, answer.problem, limit=limit), expected_words=expected_words, cap=cap)
    if answer.verdict is not Verdict.USABLE:
        logger.warning("Gemini %s gave no usable answer (%s); local engine for this chunk", model, answer.finish)
        return _locally(kept, **local)
    sentences = answer.sentences or []
    headings = {s.text for s in kept if s.heading}
    fixes = fixes_for(
        sentences, limit=limit, headings=headings, fragments=session.config.repair_fragments, parsed=parsed
    )
    if fixes:
        sentences = _repaired_in_place(asker, sentences, fixes, min_length=min_length)
    return _limited(sentences, limit=limit, min_length=min_length)


def fixes_for(
    sentences: list[str],
    *,
    limit: int,
    headings: set[str],
    fragments: bool = True,
    parsed: dict[str, Any] | None = None,
) -> list[Fix]:
    """The sentences of an answer that need a repair, each with its
    neighbours: those over the limit, and fragments (not complete sentences
    by the judge, ``quality.verdict``; headings and very short lines are not
    fragments)."""
    written = [index for index, sentence in enumerate(sentences) if sentence]
    over = {index for index in written if count_words(sentences[index]) > limit}
    candidates = [
        index
        for index in written
        if fragments
        and index not in over
        and sentences[index] not in headings
        and count_words(sentences[index]) >= FRAGMENT_MIN_WORDS
    ]
    whole = are_complete([sentences[index] for index in candidates], parsed=parsed)
    broken = set([index for index, ok in zip(candidates, whole, strict=True) if not ok][:FRAGMENTS_PER_REPAIR])
    fixes = []
    for place, index in enumerate(written):
        if index in over or index in broken:
            before = sentences[written[place - 1]] if place else ""
            after = sentences[written[place + 1]] if place + 1 < len(written) else ""
            problem = "over_limit" if index in over else "fragment"
            fixes.append(Fix(index, problem, sentences[index], before, after))
    return fixes


def are_complete(texts: list[str], *, parsed: dict[str, Any] | None = None) -> list[bool]:
    """For each text, whether the judge reads it as a complete sentence;
    each parse is kept in ``parsed`` (by text) for the judge to read again."""
    docs = local_engine.parse_alone(texts, parsed if parsed is not None else {})
    return [quality.verdict(doc).complete for doc in docs]


def _repaired_in_place(asker: _Asker, sentences: list[str], fixes: list[Fix], *, min_length: int) -> list[str]:
    """One call naming only the sentences to repair; each answer replaces its
    sentence where it stands. What the call does not fix stays (the local
    engine then splits what is still too long)."""
    prompt = targeted_repair_prompt(fixes, limit=asker.limit, min_length=min_length)
    words = sum(count_words(fix.text) for fix in fixes)
    cap = output_cap(
        math.ceil(words * 6 / 4 * OUTPUT_TOKEN_FACTOR),  # ~6 characters a French word, 4 a token
        model=asker.model,
        ceiling=asker.session.config.max_output_tokens,
        config=asker.session.config,
    )
    try:
        response = asker.session.call(
            asker.model,
            prompt,
            estimated_tokens=math.ceil((len(REPAIR_INSTRUCTION) + len(prompt)) / 4),
            max_output_tokens=cap,
            system_instruction=REPAIR_INSTRUCTION,
            response_schema=REPAIR_SCHEMA,
        )
    except (GeminiChunkFailed, QuotaExhausted, ModelUnusable):
        return sentences  # the answer is usable as it is
    asker.session.finish_reasons[finish_of(response)] += 1
    corrections = read_corrections(response, len(fixes), limit=asker.limit)
    by_index = {fix.index: corrections[number] for number, fix in enumerate(fixes, 1) if number in corrections}
    logger.info("Gemini %s repaired %d of %d sentences in place", asker.model, len(by_index), len(fixes))
    out: list[str] = []
    for index, sentence in enumerate(sentences):
        out.extend(by_index.get(index, [sentence]))
    return out


def _rest_of_cut(asker: _Asker, prompt: str, cut: Answer, *, expected_words: int, expected_output: int) -> Answer:
    """The complete sentences of a cut answer and the rest asked for, as one
    answer; the rest's cap is its share of the expected output, doubled."""
    done = cut.sentences or []
    done_words = sum(count_words(s) for s in done)
    rest_words = max(0, expected_words - done_words)
    share = rest_words / expected_words if expected_words else 1.0
    config = asker.session.config
    cap = output_cap(
        math.ceil(expected_output * share), model=asker.model, ceiling=config.max_output_tokens, config=config
    )
    rest = asker.ask(continuation_prompt(prompt, done), expected_words=rest_words, cap=cap)
    if rest.verdict is not Verdict.USABLE:
        return rest
    whole = [*done, *(rest.sentences or [])]
    return read_sentences(
        json.dumps({"sentences": whole}),
        finish=cut.finish,
        limit=asker.limit,
        expected_words=expected_words,
        preserve_formatting=asker.preserve_formatting,
    )


def _locally(kept: list[SourceSentence], *, limit: int, min_length: int, preserve_formatting: bool) -> Written:
    result = local_engine.rewrite(kept, limit=limit, min_length=min_length, preserve_formatting=preserve_formatting)
    return Written(
        result.sentences,
        by_local=sum(1 for s in result.sentences if s),
        local_tokens=result.input_tokens + result.output_tokens,
    )


def _limited(sentences: list[str], *, limit: int, min_length: int) -> Written:
    """Gemini's sentences, those over the limit split by the local engine (its pieces counted as local)."""
    over = [s for s in sentences if count_words(s) > limit]
    out = enforce_limit(sentences, limit=limit, min_length=min_length)
    within = sum(1 for s in sentences if s and count_words(s) <= limit)
    local_tokens = 2 * math.ceil(sum(len(s) for s in over) / 4)  # read and written again, as the local engine counts
    return Written(out, by_gemini=within, by_local=sum(1 for s in out if s) - within, local_tokens=local_tokens)


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
