"""The Gemini engine: one chunk's owned sentences → short sentences, through google-genai.

One entry point, :func:`rewrite`, called by the chunk task outside any
transaction. What it guarantees whatever Gemini answers:

* every output sentence has at most ``limit`` words (an answer that breaks
  the limit gets one repair call, then the local engine splits what is
  still too long; an answer that stays unusable after the repair is replaced
  by the local engine's sentences for the whole chunk);
* every HTTP attempt is counted, and every token Gemini reports
  (prompt + candidates + thoughts) is summed, per model, retries and repairs
  included, so billing never rests on an estimate where a count exists;
* retryable failures (429, 500, 502, 503, 504, timeouts, connection errors)
  are retried with exponential backoff and jitter; a quota that stays
  exhausted moves the chunk to the cheaper fallback model; any other 4xx
  fails at once;
* ``should_stop`` is checked before every call and during every wait: after
  it returns True nothing more is sent.

The prompt marks the owned text and the read-only context with fixed markers
(``OWNED_START`` …) and states the options as ``key: value`` lines, so that
the project's fake Gemini server (``jobs.fakegemini``) can find them.

Plain Python and google-genai: no Django here.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from google import genai
from google.genai import errors, types

from jobs.pipeline import local_engine
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import count_words

logger = logging.getLogger(__name__)


def _transport_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(timeouts, all transport errors) of httpx and of httpx2, which the SDK
    prefers when it is installed."""
    modules = [httpx]
    try:
        import httpx2

        modules.append(httpx2)
    except ImportError:
        pass
    timeouts = tuple(m.TimeoutException for m in modules)
    return timeouts, tuple(m.TransportError for m in modules)


TIMEOUT_ERRORS, TRANSPORT_ERRORS = _transport_errors()

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# A server-requested delay longer than this many backoff_max means a quota that
# will not come back soon (a daily one): go to the fallback at once.
LONG_RETRY_DELAY_FACTOR = 2
# Answers shorter than this share of the source's words lost text; longer than
# the upper bound, they rewrote the context too.
MIN_WORD_RATIO = 0.5
MAX_WORD_RATIO = 2.0
# Output tokens per source token: short sentences repeat subjects, and JSON quotes them.
OUTPUT_TOKEN_FACTOR = 1.3
MAX_OUTPUT_TOKENS_CEILING = 65536
PAUSE_STEP = 1.0  # seconds between should_stop checks while waiting

# Prompt markers (also read by the fake Gemini server).
OWNED_START, OWNED_END = "<<<TEXTE>>>", "<<<FIN_TEXTE>>>"
BEFORE_START, BEFORE_END = "<<<CONTEXTE_AVANT>>>", "<<<FIN_CONTEXTE_AVANT>>>"
AFTER_START, AFTER_END = "<<<CONTEXTE_APRES>>>", "<<<FIN_CONTEXTE_APRES>>>"
PARAGRAPH_PREFIX = "¶ "
HEADING_PREFIX = "# "
REPAIR_HEADER = "CORRECTION"
OPTION_KEYS = {
    "limit": "limite_mots",
    "min_length": "longueur_min",
    "ignore_dialogue": "ignorer_dialogues",
    "preserve_formatting": "conserver_paragraphes",
    "fix_hyphenation": "reparer_cesures",
}

SYSTEM_INSTRUCTION = f"""\
Tu es un éditeur qui adapte des romans français pour des apprenants.
Tu RÉÉCRIS le texte placé entre {OWNED_START} et {OWNED_END} en phrases françaises
courtes, complètes et naturelles. Couper une phrase au hasard ne suffit pas :
chaque phrase produite doit se lire seule.

Règles :
1. Chaque phrase produite a au plus `{OPTION_KEYS["limit"]}` mots (un mot = un groupe de
   caractères séparé par des espaces qui contient une lettre ou un chiffre).
   C'est une limite stricte.
2. Chaque phrase est complète et correcte : une majuscule au début, une
   ponctuation finale, un sujet et un verbe conjugué chaque fois que c'est
   possible. Quand tu coupes une longue phrase, répète le sujet ou remplace un
   pronom ambigu par le nom qu'il désigne.
3. Garde tout le sens, tous les faits et leur ordre. N'invente rien, n'ajoute
   aucun commentaire, ne résume pas.
4. Évite les phrases de moins de `{OPTION_KEYS["min_length"]}` mots : rattache-les à leur
   voisine si la limite le permet.
5. Le texte entre {BEFORE_START} et {BEFORE_END}, et celui entre
   {AFTER_START} et {AFTER_END}, servent seulement à comprendre :
   n'en réécris aucune phrase, même si elle commence ou se termine là.
6. Dans le texte à réécrire, une ligne qui commence par « ¶ » ouvre un
   paragraphe ; une ligne qui commence par « # » est un titre, à recopier tel
   quel (sans le « # »). Ne recopie jamais les signes « ¶ » ni « # ».
7. Si `{OPTION_KEYS["ignore_dialogue"]}: oui`, omets les répliques des dialogues.
   Sinon, réécris-les comme le reste en gardant les guillemets ou le tiret.
8. Si `{OPTION_KEYS["preserve_formatting"]}: oui`, insère une chaîne vide "" dans la liste
   juste avant la première phrase de chaque paragraphe ou titre. Sinon,
   aucune chaîne vide.
9. Si `{OPTION_KEYS["fix_hyphenation"]}: oui`, répare les mots coupés en fin de ligne
   (« mai- son » devient « maison ») ; sinon garde l'orthographe telle quelle.

Réponds uniquement avec un objet JSON : {{"sentences": ["…", "…"]}}, les phrases
dans l'ordre du texte.
"""

RESPONSE_SCHEMA = types.Schema(
    type=types.Type.OBJECT,
    properties={"sentences": types.Schema(type=types.Type.ARRAY, items=types.Schema(type=types.Type.STRING))},
    required=["sentences"],
)


@dataclass(frozen=True)
class GeminiConfig:
    api_key: str
    base_url: str = ""  # "" = Google's default endpoint
    model: str = "gemini-2.5-flash"
    fallback_model: str | None = "gemini-2.5-flash-lite"
    timeout_seconds: float = 60
    max_attempts: int = 4  # per model, for retryable errors
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    max_output_tokens: int = 8192


@dataclass(frozen=True)
class GeminiResult:
    sentences: list[str]
    input_tokens: int  # prompt tokens over every call (retries, repairs included)
    output_tokens: int  # candidates + thoughts tokens over every call
    api_calls: int  # every attempt counted
    tokens_by_model: dict[str, int]  # total tokens billed per model


class GeminiChunkFailed(Exception):
    """Every attempt failed; the counts say what was spent on the way."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        api_calls: int,
        input_tokens: int,
        output_tokens: int,
        tokens_by_model: dict[str, int] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.api_calls = api_calls
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.tokens_by_model = dict(tokens_by_model or {})


class GeminiStopped(Exception):
    """should_stop() returned True: nothing more was sent."""

    def __init__(self, *, api_calls: int = 0, input_tokens: int = 0, output_tokens: int = 0) -> None:
        super().__init__("stopped before the next Gemini call")
        self.api_calls = api_calls
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens


class _QuotaExhausted(Exception):
    """Internal: the model's quota stayed exhausted through the retries."""

    def __init__(self, error: errors.APIError) -> None:
        super().__init__(str(error))
        self.error = error


# --- client --------------------------------------------------------------------------

_clients: dict[tuple[str, str], genai.Client] = {}
_clients_lock = threading.Lock()


def client_for(api_key: str, base_url: str = "") -> genai.Client:
    """One client per (key, endpoint) per process: its connection pool is reused,
    and holding the reference keeps the SDK from closing it mid-call."""
    key = (api_key, base_url)
    with _clients_lock:
        if key not in _clients:
            options = types.HttpOptions(base_url=base_url) if base_url else None
            _clients[key] = genai.Client(api_key=api_key, http_options=options)
        return _clients[key]


def thinking_config(model: str) -> types.ThinkingConfig | None:
    """Thinking tokens eat the output budget: off where the model allows it,
    the minimum where it does not (pro)."""
    name = model.lower()
    if "pro" in name:
        return types.ThinkingConfig(thinking_budget=128)
    if "flash" in name:
        return types.ThinkingConfig(thinking_budget=0)
    return None


# --- prompt --------------------------------------------------------------------------


def _clean(text: str) -> str:
    # Markers must stay unambiguous; newlines inside a sentence would read as new lines.
    return " ".join(text.replace("<<<", "«").replace(">>>", "»").split())


def yes_no(value: bool) -> str:
    return "oui" if value else "non"


def owned_block(sentences: Sequence[SourceSentence]) -> str:
    lines: list[str] = []
    for index, sentence in enumerate(sentences):
        text = _clean(sentence.text)
        if sentence.heading:
            if index:
                lines.append("")
            lines.append(HEADING_PREFIX + text)
        elif sentence.paragraph_start:
            if index:
                lines.append("")
            lines.append(PARAGRAPH_PREFIX + text)
        else:
            lines.append(text)
    return "\n".join(lines)


def build_prompt(
    sentences: Sequence[SourceSentence],
    *,
    context_before: str,
    context_after: str,
    limit: int,
    min_length: int,
    ignore_dialogue: bool,
    preserve_formatting: bool,
    fix_hyphenation: bool,
) -> str:
    options = "\n".join(
        [
            f"{OPTION_KEYS['limit']}: {limit}",
            f"{OPTION_KEYS['min_length']}: {min_length}",
            f"{OPTION_KEYS['ignore_dialogue']}: {yes_no(ignore_dialogue)}",
            f"{OPTION_KEYS['preserve_formatting']}: {yes_no(preserve_formatting)}",
            f"{OPTION_KEYS['fix_hyphenation']}: {yes_no(fix_hyphenation)}",
        ]
    )
    return (
        f"PARAMÈTRES\n{options}\n\n"
        f"{BEFORE_START}\n{_clean(context_before)}\n{BEFORE_END}\n\n"
        f"{OWNED_START}\n{owned_block(sentences)}\n{OWNED_END}\n\n"
        f"{AFTER_START}\n{_clean(context_after)}\n{AFTER_END}\n"
    )


def repair_prompt(prompt: str, problem: str, *, limit: int) -> str:
    return (
        f"{prompt}\n{REPAIR_HEADER}\nTa réponse précédente n'était pas valable : {problem}\n"
        f"Réponds de nouveau, en respectant toutes les règles, en particulier {limit} mots au plus par phrase."
    )


# --- answers -------------------------------------------------------------------------


@dataclass
class Answer:
    sentences: list[str] | None  # None: unusable (bad JSON, empty, truncated, text lost)
    problem: str = ""  # why a repair is needed ("" = none)
    over_limit: list[str] = field(default_factory=list)


def parse_answer(
    response: types.GenerateContentResponse, *, limit: int, expected_words: int, preserve_formatting: bool
) -> Answer:
    candidate = response.candidates[0] if response.candidates else None
    if candidate is None:
        return Answer(None, "réponse vide")
    if candidate.finish_reason == types.FinishReason.MAX_TOKENS:
        return Answer(None, "réponse tronquée (MAX_TOKENS) : fais des phrases sans commentaire")
    try:
        data = json.loads(response.text or "")
    except (json.JSONDecodeError, ValueError):
        return Answer(None, "JSON invalide")
    items = data.get("sentences") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        return Answer(None, 'le JSON doit être {"sentences": [chaînes]}')
    sentences = tidy(items, preserve_formatting=preserve_formatting)
    words = sum(count_words(s) for s in sentences)
    if expected_words and not MIN_WORD_RATIO * expected_words <= words <= MAX_WORD_RATIO * expected_words:
        return Answer(
            None, f"{words} mots pour un texte de {expected_words} mots : du texte manque ou le contexte a été réécrit"
        )
    over = [s for s in sentences if count_words(s) > limit]
    if over:
        listed = "\n".join(f"- {s}" for s in over[:10])
        return Answer(sentences, f"ces phrases dépassent {limit} mots :\n{listed}", over_limit=over)
    return Answer(sentences)


def tidy(items: list[str], *, preserve_formatting: bool) -> list[str]:
    """Strip, drop the prompt's own marks, keep one "" per paragraph break when asked."""
    out: list[str] = []
    for item in items:
        text = " ".join(item.split())
        for prefix in (PARAGRAPH_PREFIX.strip(), HEADING_PREFIX.strip()):
            if text.startswith(prefix):
                text = text[len(prefix) :].lstrip()
        if text:
            out.append(text)
        elif preserve_formatting and (not out or out[-1]):
            out.append(local_engine.PARAGRAPH_MARK)
    while out and not out[-1]:
        out.pop()
    return out


# --- calls ---------------------------------------------------------------------------


@dataclass
class _Session:
    """One chunk's calls: counts, waits and the stop check."""

    config: GeminiConfig
    acquire: Callable[[str, int], object] | None
    should_stop: Callable[[], bool]
    on_wait: Callable[[str], None]
    sleep: Callable[[float], None]
    api_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_by_model: dict[str, int] = field(default_factory=dict)

    def stopped(self) -> GeminiStopped:
        return GeminiStopped(api_calls=self.api_calls, input_tokens=self.input_tokens, output_tokens=self.output_tokens)

    def failed(self, code: str, message: str) -> GeminiChunkFailed:
        return GeminiChunkFailed(
            code,
            message,
            api_calls=self.api_calls,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            tokens_by_model=self.tokens_by_model,
        )

    def pause(self, seconds: float) -> None:
        while seconds > 0:
            if self.should_stop():
                raise self.stopped()
            step = min(seconds, PAUSE_STEP)
            self.sleep(step)
            seconds -= step

    def record_usage(self, model: str, response: types.GenerateContentResponse) -> None:
        usage = response.usage_metadata
        if usage is None:
            return
        prompt = usage.prompt_token_count or 0
        output = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
        self.input_tokens += prompt
        self.output_tokens += output
        self.tokens_by_model[model] = self.tokens_by_model.get(model, 0) + prompt + output

    def call(
        self, model: str, prompt: str, *, estimated_tokens: int, max_output_tokens: int
    ) -> types.GenerateContentResponse:
        """One answer from ``model``, retrying what is worth retrying."""
        last_error: Exception | None = None
        for attempt in range(1, self.config.max_attempts + 1):
            if self.should_stop():
                raise self.stopped()
            if self.acquire is not None and (self.acquire(model, estimated_tokens) is False or self.should_stop()):
                raise self.stopped()
            self.api_calls += 1
            try:
                response = self.send(model, prompt, max_output_tokens)
            except errors.APIError as error:
                if error.code not in RETRYABLE_STATUS:
                    raise self.failed(*describe_fatal(model, error)) from error
                last_error = error
                server_delay = retry_delay(error)
                if is_quota(error) and server_delay > LONG_RETRY_DELAY_FACTOR * self.config.backoff_max:
                    raise _QuotaExhausted(error) from error
            except TRANSPORT_ERRORS as error:
                last_error, server_delay = error, 0.0
            else:
                self.record_usage(model, response)
                return response
            if attempt < self.config.max_attempts:
                delay = max(backoff(attempt, self.config), server_delay)
                logger.info(
                    "Gemini %s attempt %d failed (%s); retrying in %.1fs", model, attempt, short(last_error), delay
                )
                if is_quota(last_error):
                    self.on_wait(f"Waiting for Gemini quota ({model})")
                self.pause(delay)
        if is_quota(last_error):
            raise _QuotaExhausted(last_error)
        code = "GEMINI_TIMEOUT" if isinstance(last_error, TIMEOUT_ERRORS) else "GEMINI_UNAVAILABLE"
        raise self.failed(code, f"Gemini {model}: {short(last_error)} after {self.config.max_attempts} attempts")

    def send(self, model: str, prompt: str, max_output_tokens: int) -> types.GenerateContentResponse:
        config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            response_mime_type="application/json",
            response_schema=RESPONSE_SCHEMA,
            thinking_config=thinking_config(model),
            max_output_tokens=max_output_tokens,
            temperature=0.2,
            automatic_continuation=False,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(
                disable=True
            ),  # one generate_content = one HTTP request, so counts are exact
            http_options=types.HttpOptions(timeout=int(self.config.timeout_seconds * 1000)),
        )
        client = client_for(self.config.api_key, self.config.base_url)
        return client.models.generate_content(model=model, contents=prompt, config=config)


def backoff(attempt: int, config: GeminiConfig) -> float:
    """Exponential, capped, with jitter so that parallel chunks do not retry in step."""
    ceiling = min(config.backoff_max, config.backoff_initial * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def is_quota(error: Exception | None) -> bool:
    return isinstance(error, errors.APIError) and error.code == 429


def retry_delay(error: errors.APIError) -> float:
    """The server's ``google.rpc.RetryInfo`` delay ("2s", "1.5s"), 0 when absent."""
    body = error.details if isinstance(error.details, dict) else {}
    details = body.get("error", body).get("details") or []
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = re.fullmatch(r"\s*([\d.]+)s\s*", str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return 0.0


def describe_fatal(model: str, error: errors.APIError) -> tuple[str, str]:
    text = f"{error.code} {error.status}: {error.message}"
    if error.code in (401, 403) or "API_KEY_INVALID" in str(error.details) or "API key" in str(error.message):
        return "GEMINI_AUTH", f"Gemini rejected the API key ({text})"
    if error.code == 404:
        return "GEMINI_MODEL_NOT_FOUND", f"Gemini model {model} not found ({text})"
    return "GEMINI_BAD_REQUEST", f"Gemini {model} refused the request ({text})"


def short(error: Exception | None) -> str:
    if isinstance(error, errors.APIError):
        return f"{error.code} {error.status}"
    return type(error).__name__ if error else "no attempt"


# --- entry point ---------------------------------------------------------------------


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
    session = _Session(config, acquire, should_stop, on_wait, sleep)
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
        except _QuotaExhausted as exhausted:
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
    session: _Session,
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
        except (GeminiChunkFailed, _QuotaExhausted):
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
