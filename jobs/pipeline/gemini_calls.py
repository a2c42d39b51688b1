"""Calls to Gemini: the client, one chunk's session (counts, retries,
waits, the stop check) and what an error means.

What a session guarantees:

* every HTTP attempt is counted, and every token Gemini reports
  (prompt + candidates + thoughts) is summed, per model, retries and repairs
  included, so billing never rests on an estimate where a count exists;
* retryable failures (429, 500, 502, 503, 504, timeouts, connection errors)
  are retried with exponential backoff and jitter; a quota that stays
  exhausted raises ``QuotaExhausted``, and a model that cannot serve the
  chunk raises ``ModelUnusable`` (404: retired; 400: it refused the
  configuration; a daily quota spent, at once; retries spent on 503: a
  storm), both for the engine to fall back; a refused key fails at once;
* each model gets the thinking config and temperature of its row in the
  capability table (:mod:`gemini_models`); an unknown model gets neither;
* ``should_stop`` is checked before every call and during every wait: after
  it returns True nothing more is sent.

Plain Python and google-genai: no Django here.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from google import genai
from google.genai import errors, types

from jobs.pipeline.gemini_models import ModelCapabilities, capabilities
from jobs.pipeline.gemini_prompt import RESPONSE_SCHEMA, SYSTEM_INSTRUCTION

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
PAUSE_STEP = 1.0  # seconds between should_stop checks while waiting
# Novels draw the adjustable filters (violence, love scenes) on text the
# reader chose; the filters Google does not let us adjust stay as they are.
SAFETY_SETTINGS = [
    types.SafetySetting(category=category, threshold=types.HarmBlockThreshold.OFF)
    for category in (
        types.HarmCategory.HARM_CATEGORY_HARASSMENT,
        types.HarmCategory.HARM_CATEGORY_HATE_SPEECH,
        types.HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT,
        types.HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT,
    )
]


@dataclass(frozen=True)
class GeminiConfig:
    api_key: str
    base_url: str = ""  # "" = Google's default endpoint
    model: str = "gemini-2.5-flash"
    fallback_model: str | None = "gemini-2.5-flash-lite"
    timeout_seconds: float = 60
    service_tier: str | None = None  # "flex": half price, slower, best effort; None: the standard tier
    max_attempts: int = 4  # per model, for retryable errors
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    max_output_tokens: int = 8192
    models: Mapping[str, ModelCapabilities] | None = None  # the capability table; None: the defaults
    # Fragments (no finite verb) join the over-limit sentences in the targeted repair.
    # Off here, on in the service (GEMINI_REPAIR_FRAGMENTS): the fake answers with the
    # local engine's pieces, some verbless, and most engine tests count calls.
    repair_fragments: bool = False

    def capabilities(self, model: str) -> ModelCapabilities:
        return capabilities(model, self.models)


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


class ModelUnusable(Exception):
    """Internal: this model cannot serve the chunk (retired, refused the
    configuration, its daily quota spent, a storm); another model may."""

    def __init__(self, code: str, message: str, *, spent_for: float = 0.0) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.spent_for = spent_for  # > 0: a daily quota, spent for about this many seconds


class SpentModels(Protocol):
    """Models whose daily quota is spent, remembered until it resets, so later chunks do not try them."""

    def spent(self, model: str) -> bool: ...

    def remember(self, model: str, seconds: float) -> None: ...


class ProcessSpentModels:
    """This process's memory only (the cluster's is jobs.quota.SpentQuotas)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.until: dict[str, float] = {}

    def spent(self, model: str) -> bool:
        return self.until.get(model, 0.0) > self.clock()

    def remember(self, model: str, seconds: float) -> None:
        self.until[model] = self.clock() + seconds


class QuotaExhausted(Exception):
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


class CountFailed(Exception):
    """count_tokens gave no count (an error, a timeout, an empty answer)."""


def count_tokens(*, api_key: str, base_url: str, model: str, text: str, timeout_seconds: float) -> int:
    """Gemini's own count of ``text``'s tokens for ``model`` (free, and no
    quota of generate_content), or CountFailed."""
    config = types.CountTokensConfig(http_options=types.HttpOptions(timeout=int(timeout_seconds * 1000)))
    try:
        response = client_for(api_key, base_url).models.count_tokens(model=model, contents=text, config=config)
    except (errors.APIError, *TRANSPORT_ERRORS) as error:
        raise CountFailed(short(error)) from error
    if not response.total_tokens or response.total_tokens <= 0:
        raise CountFailed(f"no count in the answer ({response.total_tokens!r})")
    return response.total_tokens


def thinking_config(model: str, table: Mapping[str, ModelCapabilities] | None = None) -> types.ThinkingConfig | None:
    """The least thinking the model's row allows (thinking tokens eat the output
    budget); None for a model the table does not know."""
    return capabilities(model, table).thinking_config()


# --- calls ---------------------------------------------------------------------------


@dataclass
class Session:
    """One chunk's calls: counts, waits and the stop check."""

    config: GeminiConfig
    acquire: Callable[[str, int], object] | None
    should_stop: Callable[[], bool]
    on_wait: Callable[[str], None]
    sleep: Callable[[float], None]
    api_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_by_model: dict[str, int] = field(default_factory=dict)  # every reported token, per model
    usage_by_model: dict[str, dict[str, int]] = field(default_factory=dict)  # {"input": …, "output": …} per model
    finish_reasons: Counter[str] = field(default_factory=Counter)  # of every answer, counted by the engine

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
        usage_of = self.usage_by_model.setdefault(model, {"input": 0, "output": 0})
        usage_of["input"] += prompt
        usage_of["output"] += output

    def call(
        self,
        model: str,
        prompt: str,
        *,
        estimated_tokens: int,
        max_output_tokens: int,
        temperature: float | None = None,
        system_instruction: str = SYSTEM_INSTRUCTION,
        response_schema: types.Schema = RESPONSE_SCHEMA,
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
                response = self.send(model, prompt, max_output_tokens, temperature, system_instruction, response_schema)
            except errors.APIError as error:
                if error.code not in RETRYABLE_STATUS:
                    code, message = describe_fatal(model, error)
                    if code in ("GEMINI_MODEL_NOT_FOUND", "GEMINI_BAD_REQUEST"):
                        raise ModelUnusable(code, message) from error
                    raise self.failed(code, message) from error
                last_error = error
                server_delay = retry_delay(error)
                if is_daily_quota(error):
                    # Spent until midnight Pacific: waiting through the retries would gain nothing.
                    raise ModelUnusable(
                        "GEMINI_QUOTA", f"Gemini {model}: daily quota spent", spent_for=max(server_delay, 1.0)
                    ) from error
                if is_quota(error) and server_delay > LONG_RETRY_DELAY_FACTOR * self.config.backoff_max:
                    raise QuotaExhausted(error) from error
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
            raise QuotaExhausted(last_error)
        code = "GEMINI_TIMEOUT" if isinstance(last_error, TIMEOUT_ERRORS) else "GEMINI_UNAVAILABLE"
        message = f"Gemini {model}: {short(last_error)} after {self.config.max_attempts} attempts"
        if isinstance(last_error, errors.APIError) and last_error.code == 503:
            raise ModelUnusable(code, message)  # a storm on this model: another may answer
        raise self.failed(code, message)

    def send(
        self,
        model: str,
        prompt: str,
        max_output_tokens: int,
        temperature: float | None,
        system_instruction: str = SYSTEM_INSTRUCTION,
        response_schema: types.Schema = RESPONSE_SCHEMA,
    ) -> types.GenerateContentResponse:
        row = self.config.capabilities(model)
        config = types.GenerateContentConfig(
            system_instruction=system_instruction,
            response_mime_type="application/json",
            response_schema=response_schema,
            thinking_config=row.thinking_config(),
            max_output_tokens=max_output_tokens,
            temperature=row.temperature if temperature is None else temperature,
            safety_settings=SAFETY_SETTINGS,
            service_tier=self.config.service_tier,
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


def is_daily_quota(error: errors.APIError) -> bool:
    """A 429 whose ``QuotaFailure`` names a per-day quota (…PerDay…)."""
    if error.code != 429:
        return False
    body = error.details if isinstance(error.details, dict) else {}
    details = body.get("error", body).get("details") or []
    failures = [
        detail
        for detail in (details if isinstance(details, list) else [])
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.QuotaFailure")
    ]
    return any("PerDay" in str(v.get("quotaId", "")) for f in failures for v in f.get("violations") or [])


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
