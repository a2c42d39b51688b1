"""A fake Gemini server speaking the REST protocol that google-genai uses.

``POST /{v1,v1beta,v1alpha}/models/{model}:generateContent`` with the API key
in ``x-goog-api-key`` (or ``?key=``). It finds the owned text and the options
in the prompt built by :mod:`jobs.pipeline.gemini_prompt`, answers with the
local engine's sentences for that text (as ``{"sentences": [...]}`` when the
request asks for JSON), and reports honest ``usageMetadata`` (about four
characters a token). At ``error_rate`` it injects, mixed: 429
RESOURCE_EXHAUSTED with a ``RetryInfo`` delay, 500, 503, 504, answers slower
than the client's timeout, malformed or truncated JSON, and sentences over
the limit. ``quota_rpm`` caps the requests each model accepts per clock
minute (429 above it). It counts everything: ``GET /_stats``.

It also behaves as the real service does where the fake used to be kind:
answers refused with RECITATION or SAFETY (``recitation_rate``,
``safety_rate``), a prompt blocked with ``promptFeedback.blockReason`` and
no candidate (``blocked_rate``), answers cut by MAX_TOKENS
(``truncation_rate``) or looping on one sentence until the request's
``maxOutputTokens`` (``looping_rate``; every answer longer than the cap is
cut there), models retired (``missing_models``: 404), daily quotas spent
(``daily_quota_models``: 429 with a PerDay quotaId and a long RetryInfo),
503 storms (``storm_models``) and slow answers. A prompt that names the
sentences already written (a cut answer's continuation) gets only the rest.

Its latency is ``latency`` (fixed) plus, as the real service's grows with
what it writes, ``base`` seconds and the answer's output tokens divided by
``tps`` (Gemini flash-lite: about 0.8 s + tokens / 300). The answer is
cheap by default (``answer="cut"``: each long sentence cut into balanced
pieces of at most the limit, no parse), so that a benchmark of latency
measures the service, not this server's CPU; ``answer="split"`` or
``"simplify"`` answers with the local engine in that mode instead.

Usable in-process (``FakeGemini(port=0).start()`` … ``.stop()``) and as
``python manage.py fake_gemini``. No Django here.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jobs.pipeline import gemini_prompt as prompt_format
from jobs.pipeline import local_engine
from jobs.pipeline.text import SourceSentence

ANSWERS = ("cut", "split", "simplify")
ERROR_KINDS = ("quota", "internal", "unavailable", "gateway", "slow", "malformed", "truncated", "overlimit")
# Faults of an answer that was accepted (HTTP 200), drawn after error_rate, each at its own rate.
REFUSALS = ("recitation", "safety", "blocked", "truncation", "looping")
DAILY_RETRY_DELAY = 6 * 3600.0  # seconds: a daily quota comes back at midnight Pacific
GENERATE_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/([^/:]+):generateContent$")
COUNT_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/([^/:]+):countTokens$")
STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# Slow answers outlast the client by this much past its X-Server-Timeout header.
SLOW_MARGIN = 0.3
# The service stops work at the deadline the client sends (X-Server-Timeout) and
# bills nothing for it; the client's clock started before the request reached
# us, and the header rounds up, so an answer this close to the deadline (a tenth
# of it, at most a second) would reach a client that already gave up: past it too.
DEADLINE_SLACK = 1.0
SLOW_WITHOUT_TIMEOUT = 120.0
# Answers kept for requests seen before (a book is ~30 chunks; a few books fit).
ANSWERS_REMEMBERED = 512
BODIES_REMEMBERED = 200


# spaCy's model is one per process (local_engine.nlp) and not promised to be
# thread-safe: every fake server of the process, and a test comparing with
# the engine, take this lock (a server stopped mid-answer may still compute).
ENGINE_LOCK = threading.Lock()


@dataclass
class FakeGeminiOptions:
    latency: float = 0.0  # seconds from request to answer (the answer is computed within them)
    base: float = 0.0  # more seconds for every answer, as a real model's time to its first token
    tps: float = 0.0  # output tokens a second: an answer takes its tokens / tps longer (0: no such term)
    answer: str = "cut"  # how the sentences are written: a plain cut, or the local engine's split or simplify
    jitter: float = 0.0  # ± uniform seconds around the latency
    error_rate: float = 0.0  # share of requests that get an injected fault
    error_kinds: tuple[str, ...] = ERROR_KINDS
    quota_rpm: int | None = None  # accepted requests per model per clock minute
    api_key: str | None = None  # None: any non-empty key
    exhausted_models: frozenset[str] = frozenset()  # always 429 for these
    retry_delay: float = 1.0  # seconds, in the 429's RetryInfo
    slow_seconds: float | None = None  # None: just past the client's timeout
    seed: int | None = None
    fail_text: str | None = None  # every request whose body contains this text gets a 500
    recitation_rate: float = 0.0  # 200 with finishReason RECITATION and no text
    safety_rate: float = 0.0  # 200 with finishReason SAFETY and no text
    blocked_rate: float = 0.0  # 200 with promptFeedback.blockReason and no candidate
    truncation_rate: float = 0.0  # the answer cut halfway, MAX_TOKENS
    looping_rate: float = 0.0  # the answer repeats one sentence until maxOutputTokens, MAX_TOKENS
    missing_models: frozenset[str] = frozenset()  # 404 NOT_FOUND: retired or never existed
    daily_quota_models: frozenset[str] = frozenset()  # 429 with a PerDay quotaId: the day's quota is spent
    storm_models: frozenset[str] = frozenset()  # 503 UNAVAILABLE to every call: a storm that outlasts the retries
    # 400 INVALID_ARGUMENT when thinking is off (budget 0), as 2.5 pro and some successors answer;
    # and when sent a thinking_budget at all, as Gemini 3 models answer.
    thinking_required_models: frozenset[str] = frozenset()
    level_only_models: frozenset[str] = frozenset()
    answer_with: tuple[str, ...] | None = None  # these sentences instead of the local engine's (a chunk's first answer)

    def __post_init__(self) -> None:
        if self.answer not in ANSWERS:
            raise ValueError(f"unknown answer {self.answer!r}; known: {', '.join(ANSWERS)}")
        if self.base < 0 or self.tps < 0:
            raise ValueError("base and tps must not be negative")
        unknown = set(self.error_kinds) - set(ERROR_KINDS)
        if unknown:
            raise ValueError(f"unknown error kinds {sorted(unknown)}; known: {', '.join(ERROR_KINDS)}")
        if not 0 <= self.error_rate <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        rates = [getattr(self, f"{kind}_rate") for kind in REFUSALS]
        if any(not 0 <= rate <= 1 for rate in rates) or sum(rates) > 1:
            raise ValueError("the refusal rates must be between 0 and 1 and sum to at most 1")
        for name in (
            "exhausted_models",
            "missing_models",
            "daily_quota_models",
            "storm_models",
            "thinking_required_models",
            "level_only_models",
        ):
            setattr(self, name, frozenset(getattr(self, name)))

    @property
    def refuses(self) -> bool:
        return any(getattr(self, f"{kind}_rate") for kind in REFUSALS)

    def refusal(self, draw: float) -> str | None:
        """The refusal for a uniform draw in [0, 1), or None (the rates stacked one after another)."""
        for kind in REFUSALS:
            draw -= getattr(self, f"{kind}_rate")
            if draw < 0:
                return kind
        return None


class BadPrompt(ValueError):
    pass


@dataclass
class PromptRequest:
    sentences: list[SourceSentence]
    limit: int
    min_length: int
    ignore_dialogue: bool
    preserve_formatting: bool
    prompt_chars: int
    wants_json: bool
    done: list[str] = field(default_factory=list)  # sentences already written (a continuation)
    max_output_tokens: int | None = None


def read_request(body: dict[str, Any]) -> PromptRequest:
    texts = [part.get("text", "") for content in body.get("contents", []) for part in content.get("parts", [])]
    system = [part.get("text", "") for part in (body.get("systemInstruction") or {}).get("parts", [])]
    prompt = "\n".join(texts)
    start = prompt.find(prompt_format.OWNED_START)
    end = prompt.find(prompt_format.OWNED_END, start + 1)
    if start < 0 or end < 0:
        raise BadPrompt(f"no {prompt_format.OWNED_START} … {prompt_format.OWNED_END} block in the prompt")
    options = dict(re.findall(r"^(\w+): *(\S+)$", prompt[:start], flags=re.MULTILINE))

    def option(name: str, default: str) -> str:
        return options.get(prompt_format.OPTION_KEYS[name], default)

    try:
        limit, min_length = int(option("limit", "")), int(option("min_length", "2"))
    except ValueError as error:
        raise BadPrompt(f"no usable {prompt_format.OPTION_KEYS['limit']} in the prompt") from error
    config = body.get("generationConfig") or {}
    return PromptRequest(
        sentences=owned_sentences(prompt[start + len(prompt_format.OWNED_START) : end]),
        limit=limit,
        min_length=min_length,
        ignore_dialogue=option("ignore_dialogue", "non") == "oui",
        preserve_formatting=option("preserve_formatting", "non") == "oui",
        prompt_chars=len(prompt) + sum(len(text) for text in system),
        wants_json=config.get("responseMimeType") == "application/json",
        done=done_sentences(prompt[end:]),
        max_output_tokens=config.get("maxOutputTokens"),
    )


def prompt_text(body: dict[str, Any]) -> tuple[str, int]:
    """The prompt, and its characters with the system instruction's (for the usage)."""
    texts = [part.get("text", "") for content in body.get("contents", []) for part in content.get("parts", [])]
    system = [part.get("text", "") for part in (body.get("systemInstruction") or {}).get("parts", [])]
    prompt = "\n".join(texts)
    return prompt, len(prompt) + sum(len(text) for text in system)


def read_fixes(body: dict[str, Any]) -> tuple[list[tuple[int, str]], int, int] | None:
    """A targeted repair's numbered sentences, its limit and minimum length; None for another prompt."""
    prompt, _ = prompt_text(body)
    start = prompt.find(prompt_format.FIX_START)
    end = prompt.find(prompt_format.FIX_END, start + 1)
    if start < 0 or end < 0:
        return None
    options = dict(re.findall(r"^(\w+): *(\S+)$", prompt[:start], flags=re.MULTILINE))
    limit = int(options.get(prompt_format.OPTION_KEYS["limit"], "8"))
    min_length = int(options.get(prompt_format.OPTION_KEYS["min_length"], "2"))
    items = []
    for line in prompt[start + len(prompt_format.FIX_START) : end].splitlines():
        match = re.match(r"^\[(\d+)\] \((.*)$", line)
        if not match:
            continue
        rest = match.group(2)
        for label in prompt_format.FIX_PROBLEMS.values():
            if rest.startswith(label + ") "):
                items.append((int(match.group(1)), rest[len(label) + 2 :]))
    return items, limit, min_length


def done_sentences(after_owned: str) -> list[str]:
    start = after_owned.find(prompt_format.DONE_START)
    end = after_owned.find(prompt_format.DONE_END, start + 1)
    if start < 0 or end < 0:
        return []
    block = after_owned[start + len(prompt_format.DONE_START) : end]
    return [line.strip() for line in block.splitlines() if line.strip()]


def owned_sentences(block: str) -> list[SourceSentence]:
    sentences = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith(prompt_format.HEADING_PREFIX):
            sentences.append(
                SourceSentence(text=line[len(prompt_format.HEADING_PREFIX) :], heading=True, paragraph_start=True)
            )
        elif line.startswith(prompt_format.PARAGRAPH_PREFIX):
            sentences.append(SourceSentence(text=line[len(prompt_format.PARAGRAPH_PREFIX) :], paragraph_start=True))
        elif line:
            sentences.append(SourceSentence(text=line))
    return sentences


def error_body(code: int, message: str, details: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "status": STATUS_TEXT.get(code, "UNKNOWN"),
            "details": list(details),
        }
    }


def quota_error(model: str, retry_delay: float, quota_id: str) -> dict[str, Any]:
    return error_body(
        429,
        f"You exceeded your current quota for {model}. Please retry in {retry_delay:g}s.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                        "quotaId": quota_id,
                        "quotaDimensions": {"model": model},
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_delay:g}s"},
        ],
    )


@dataclass
class Stats:
    requests: int = 0
    requests_by_model: Counter = field(default_factory=Counter)
    requests_per_minute: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    accepted_per_minute: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    responses_by_status: Counter = field(default_factory=Counter)
    injected: Counter = field(default_factory=Counter)
    finish_reasons: Counter = field(default_factory=Counter)
    tokens: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    in_flight: int = 0  # generateContent requests received and not yet answered
    max_in_flight: int = 0
    longest_answer: int = 0  # the most output tokens of one answer
    token_counts: int = 0  # countTokens requests answered (free: not in requests or tokens)
    service_tiers: Counter = field(default_factory=Counter)  # the requests' serviceTier ("standard" when absent)

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_by_model": dict(self.requests_by_model),
            "requests_per_minute": {m: {str(k): v for k, v in c.items()} for m, c in self.requests_per_minute.items()},
            "max_requests_per_minute": {m: max(c.values()) for m, c in self.requests_per_minute.items() if c},
            "responses_by_status": {str(k): v for k, v in self.responses_by_status.items()},
            "injected": dict(self.injected),
            "finish_reasons": dict(self.finish_reasons),
            "tokens": {m: dict(c) for m, c in self.tokens.items()},
            "total_tokens": sum(c["total"] for c in self.tokens.values()),
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "longest_answer": self.longest_answer,
            "token_counts": self.token_counts,
            "service_tiers": dict(self.service_tiers),
        }


class FakeGemini:
    """The server; ``start()`` runs it in a thread, ``serve_forever()`` in the caller's."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.options = FakeGeminiOptions(**options)
        self.random = random.Random(self.options.seed)
        self.lock = threading.Lock()
        self.answers: dict[tuple, list[str]] = {}
        self.stats_data = Stats()
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self  # type: ignore[attr-defined]
        self.thread: threading.Thread | None = None
        self.last_request: dict[str, Any] | None = None  # the latest generateContent body, for tests
        self.bodies: list[dict[str, Any]] = []  # the latest BODIES_REMEMBERED bodies answered, oldest first

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGemini:
        local_engine.load()  # now, not inside the first request's latency
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-gemini", daemon=True
        )
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def __enter__(self) -> FakeGemini:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return self.stats_data.as_json()

    def reset(self) -> None:
        with self.lock:
            # Requests still being answered stay counted: they leave after the reset.
            self.stats_data = Stats(in_flight=self.stats_data.in_flight, max_in_flight=self.stats_data.in_flight)

    def arrived(self) -> None:
        with self.lock:
            stats = self.stats_data
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)

    def left(self) -> None:
        with self.lock:
            self.stats_data.in_flight = max(0, self.stats_data.in_flight - 1)

    # --- decisions (under the lock) ---

    def admit(self, model: str, *, authorized: bool) -> tuple[str | None, float]:
        """Count the request; the fault to inject (None: answer) and the latency."""
        options = self.options
        with self.lock:
            minute = int(time.time() // 60)
            stats = self.stats_data
            stats.requests += 1
            stats.requests_by_model[model] += 1
            stats.requests_per_minute[model][minute] += 1
            if not authorized:
                return "auth", 0.0
            latency = options.base + max(0.0, options.latency + self.random.uniform(-options.jitter, options.jitter))
            if model in options.missing_models:
                return "missing", 0.0
            if model in options.exhausted_models:
                return "exhausted", latency
            if model in options.daily_quota_models:
                return "daily", 0.0
            if model in options.storm_models:
                return "storm", latency
            if options.quota_rpm is not None and stats.accepted_per_minute[model][minute] >= options.quota_rpm:
                return "rpm", latency
            stats.accepted_per_minute[model][minute] += 1
            if options.error_kinds and self.random.random() < options.error_rate:
                kind = self.random.choice(options.error_kinds)
                stats.injected[kind] += 1
                return kind, latency
            # Drawn only when asked for, so that a seed gives the same faults as before these existed.
            refusal = options.refusal(self.random.random()) if options.refuses else None
            if refusal:
                stats.injected[refusal] += 1
            return refusal, latency

    def record(self, model: str, status: int, usage: dict[str, int] | None = None, finish: str | None = None) -> None:
        with self.lock:
            self.stats_data.responses_by_status[status] += 1
            if finish:
                self.stats_data.finish_reasons[finish] += 1
            if usage:
                tokens = self.stats_data.tokens[model]
                tokens["prompt"] += usage["promptTokenCount"]
                tokens["candidates"] += usage["candidatesTokenCount"]
                tokens["thoughts"] += usage["thoughtsTokenCount"]
                tokens["total"] += usage["totalTokenCount"]
                self.stats_data.longest_answer = max(self.stats_data.longest_answer, usage["candidatesTokenCount"])

    def sentences_for(self, request: PromptRequest) -> list[str]:
        """The answer for these sentences, remembered: it is deterministic,
        and a benchmark that sends the same book twice should not measure
        this server's CPU (the real service spends none of ours)."""
        key = (
            tuple(request.sentences),
            request.limit,
            request.min_length,
            request.ignore_dialogue,
            request.preserve_formatting,
        )
        answer = self.answers.get(key)
        if answer is None:
            answer = written(request, self.options.answer)
            with self.lock:
                while len(self.answers) >= ANSWERS_REMEMBERED:
                    self.answers.pop(next(iter(self.answers)))
                self.answers[key] = answer
        return list(answer)

    def writing_time(self, output_tokens: int) -> float:
        """Seconds the answer's own tokens add to its latency."""
        return output_tokens / self.options.tps if self.options.tps else 0.0


def written(request: PromptRequest, how: str = "cut") -> list[str]:
    """The sentences the fake answers with for a request: ``cut`` (no parse),
    or the local engine's ``split`` or ``simplify``."""
    if how != "cut":
        with ENGINE_LOCK:
            return local_engine.rewrite(
                request.sentences,
                limit=request.limit,
                min_length=request.min_length,
                ignore_dialogue=request.ignore_dialogue,
                preserve_formatting=request.preserve_formatting,
                mode=how,
            ).sentences
    return cut_answer(
        request.sentences,
        limit=request.limit,
        ignore_dialogue=request.ignore_dialogue,
        preserve_formatting=request.preserve_formatting,
    )


def cut_answer(
    sentences: Iterable[SourceSentence], *, limit: int, ignore_dialogue: bool = False, preserve_formatting: bool = False
) -> list[str]:
    """Each sentence within the limit as it is, a longer one cut into as few
    pieces of at most ``limit`` words as it takes, of balanced lengths; no word
    lost, changed or added. A paragraph mark ("") before a paragraph or a
    heading when formatting is preserved, dialogue left out when asked, as
    the local engine does. It costs no parse: microseconds a page."""
    out: list[str] = []
    for sentence in sentences:
        if ignore_dialogue and local_engine.is_dialogue(sentence):
            continue
        if preserve_formatting and (sentence.paragraph_start or sentence.heading):
            out.append(local_engine.PARAGRAPH_MARK)
        words = sentence.text.split()
        pieces = max(1, math.ceil(len(words) / limit))
        bounds = [round(n * len(words) / pieces) for n in range(pieces + 1)]
        out.extend(" ".join(words[low:high]) for low, high in zip(bounds, bounds[1:], strict=False) if high > low)
    return out


def configuration_refused(model: str, body: dict[str, Any], options: FakeGeminiOptions) -> str | None:
    """The real service's 400 for a thinking config the model does not take, or None."""
    thinking = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
    budget = thinking.get("thinkingBudget", thinking.get("thinking_budget"))  # the SDK sends snake case
    if model in options.thinking_required_models and budget == 0:
        return "Budget 0 is invalid. This model only works in thinking mode."
    if model in options.level_only_models and budget is not None:
        return "Thinking budget is not supported for this model; use thinking_level instead."
    return None


def rest_after(sentences: list[str], done: int) -> list[str]:
    """The sentences after the first ``done`` written ones (paragraph marks are not written)."""
    written = 0
    for index, sentence in enumerate(sentences):
        if written == done:
            return sentences[index:]
        written += bool(sentence)
    return []


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def over_limit(sentences: list[str]) -> list[str]:
    """The same words in half as many sentences: most break the limit."""
    return [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeGemini/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeGemini:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path.split("?")[0] == "/_stats":
            self.send_json(200, self.fake.stats())
        else:
            self.send_json(404, error_body(404, f"no such path {self.path}"))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        if path == "/_reset":
            self.fake.reset()
            self.send_json(200, {"reset": True})
            return
        counting = COUNT_PATH.match(path)
        if counting:
            self.count_tokens(counting.group(2), raw)
            return
        match = GENERATE_PATH.match(path)
        if not match:
            self.send_json(404, error_body(404, f"no such method {path}"))
            return
        self.fake.arrived()
        try:
            self.generate(match.group(2), raw, query)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing was delivered
        finally:
            self.fake.left()

    def generate(self, model: str, raw: bytes, query: str) -> None:
        fake, options = self.fake, self.fake.options
        key = self.headers.get("x-goog-api-key") or dict(p.partition("=")[::2] for p in query.split("&") if p).get(
            "key"
        )
        authorized = bool(key) and (options.api_key is None or key == options.api_key)
        fault, latency = fake.admit(model, authorized=authorized)
        seconds = float(self.headers.get("X-Server-Timeout") or math.inf)
        self.deadline = time.monotonic() + seconds - min(DEADLINE_SLACK, seconds / 10)
        if not key:
            return self.fail(model, 401, "Request is missing a valid API key.")
        if not authorized:
            return self.fail(
                model,
                403,
                "API key not valid. Please pass a valid API key.",
                [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
            )
        if options.fail_text and options.fail_text.encode() in raw:
            return self.fail(model, 500, "An internal error has occurred.")
        if fault == "missing":
            return self.fail(
                model,
                404,
                f"models/{model} is not found for API version v1beta, or is not supported for generateContent.",
            )
        if fault in ("exhausted", "rpm", "quota"):
            quota_id = "GenerateRequestsPerMinutePerProjectPerModel"
            return self.reply(model, 429, quota_error(model, options.retry_delay, quota_id))
        if fault == "daily":
            quota_id = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
            return self.reply(model, 429, quota_error(model, DAILY_RETRY_DELAY, quota_id))
        # The latency is the whole answer time, as with the real service:
        # computing the answer happens within it, not on top of it.
        answer_by = time.monotonic() + latency
        if fault in ("internal", "unavailable", "gateway", "storm"):
            sleep_until(answer_by)
            code = {"internal": 500, "unavailable": 503, "gateway": 504, "storm": 503}[fault]
            return self.fail(
                model,
                code,
                {
                    500: "An internal error has occurred.",
                    503: "The model is overloaded. Please try again later.",
                    504: "Deadline exceeded.",
                }[code],
            )
        if fault == "slow":
            client_timeout = float(self.headers.get("X-Server-Timeout") or SLOW_WITHOUT_TIMEOUT)
            time.sleep(options.slow_seconds if options.slow_seconds is not None else client_timeout + SLOW_MARGIN)
            self.close_connection = True
            fake.record(model, 0)  # gave up: no answer, nothing billed
            return None
        try:
            body = json.loads(raw or b"{}")
            fake.last_request = body
            with fake.lock:
                fake.bodies = [*fake.bodies[-BODIES_REMEMBERED + 1 :], body]
                fake.stats_data.service_tiers[body.get("serviceTier") or "standard"] += 1
            fixes = read_fixes(body)
            if fixes is not None:
                return self.correct(model, body, *fixes, fault, answer_by=answer_by)
            request = read_request(body)
        except (BadPrompt, json.JSONDecodeError, AttributeError) as error:
            return self.fail(model, 400, f"fake gemini: {error}")
        refused = configuration_refused(model, body, options)
        if refused:
            return self.fail(model, 400, refused)
        sentences = list(options.answer_with) if options.answer_with is not None else fake.sentences_for(request)
        self.answer(model, request, sentences, fault, answer_by=answer_by)
        return None

    deadline = math.inf  # set per request from the client's X-Server-Timeout

    def past_deadline(self) -> bool:
        """Ready only past the client's deadline (the engine queued, a long answer written
        slowly): the service stops there, so no answer and nothing billed."""
        return time.monotonic() > self.deadline

    def count_tokens(self, model: str, raw: bytes) -> None:
        """countTokens: the prompt's tokens as generateContent's usage counts them. Free, as
        on the service: no quota, no usage; a retired model is a 404 here too."""
        fake = self.fake
        key = self.headers.get("x-goog-api-key")
        if not key or (fake.options.api_key is not None and key != fake.options.api_key):
            return self.send_json(401 if not key else 403, error_body(401 if not key else 403, "API key not valid."))
        if model in fake.options.missing_models:
            return self.send_json(404, error_body(404, f"models/{model} is not found for API version v1beta."))
        _, chars = prompt_text(json.loads(raw or b"{}"))
        with fake.lock:
            fake.stats_data.token_counts += 1
        return self.send_json(200, {"totalTokens": math.ceil(chars / 4)})

    def fail(self, model: str, code: int, message: str, details: Iterable[dict[str, Any]] = ()) -> None:
        self.reply(model, code, error_body(code, message, details))

    def reply(self, model: str, code: int, payload: dict[str, Any]) -> None:
        self.fake.record(model, code)
        self.send_json(code, payload)

    def answer(
        self, model: str, request: PromptRequest, sentences: list[str], fault: str | None, *, answer_by: float
    ) -> None:
        if request.done:
            sentences = rest_after(sentences, len(request.done))  # a continuation: only the rest
        if fault == "overlimit":
            sentences = over_limit(sentences)
        prompt_tokens = math.ceil(request.prompt_chars / 4)
        if fault in ("recitation", "safety", "blocked"):
            sleep_until(answer_by)
            return self.refuse(model, fault, prompt_tokens)
        if fault == "looping" and sentences:
            cap_chars = 4 * (request.max_output_tokens or 8192)
            loop = sentences[: max(1, len(sentences) // 3)]
            while len(json.dumps({"sentences": loop}, ensure_ascii=False)) < cap_chars:
                loop.append(loop[-1])
            sentences = loop
        text = json.dumps({"sentences": sentences}, ensure_ascii=False) if request.wants_json else "\n".join(sentences)
        finish = "STOP"
        if fault == "malformed":
            text = text[: len(text) // 2] + "\n}]"
        elif fault == "truncated" or fault == "truncation":
            text, finish = text[: len(text) // 2], "MAX_TOKENS"
        if request.max_output_tokens and math.ceil(len(text) / 4) > request.max_output_tokens:
            text, finish = text[: 4 * request.max_output_tokens], "MAX_TOKENS"
        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": math.ceil(len(text) / 4),
            "thoughtsTokenCount": 0,
        }
        usage["totalTokenCount"] = sum(usage.values())
        payload = {
            "candidates": [
                {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": finish, "index": 0}
            ],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": f"fake-{self.fake.stats_data.requests}",
        }
        sleep_until(answer_by + self.fake.writing_time(usage["candidatesTokenCount"]))
        if self.past_deadline():
            return self.fail(model, 504, "Deadline exceeded.")
        self.fake.record(model, 200, usage, finish)
        self.send_json(200, payload)
        return None

    def correct(
        self,
        model: str,
        body: dict[str, Any],
        items: list[tuple[int, str]],
        limit: int,
        min_length: int,
        fault,
        *,
        answer_by: float,
    ) -> None:
        """A targeted repair: each named sentence rewritten on its own by the local engine."""
        _, prompt_chars = prompt_text(body)
        if fault in ("recitation", "safety", "blocked"):
            sleep_until(answer_by)
            return self.refuse(model, fault, math.ceil(prompt_chars / 4))
        with ENGINE_LOCK:
            corrections = [
                {
                    "numero": number,
                    "phrases": local_engine.rewrite(
                        [SourceSentence(text=text)], limit=limit, min_length=min_length
                    ).sentences,
                }
                for number, text in items
            ]
        text = json.dumps({"corrections": corrections}, ensure_ascii=False)
        usage = {
            "promptTokenCount": math.ceil(prompt_chars / 4),
            "candidatesTokenCount": math.ceil(len(text) / 4),
            "thoughtsTokenCount": 0,
        }
        usage["totalTokenCount"] = sum(usage.values())
        payload = {
            "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP"}],
            "usageMetadata": usage,
            "modelVersion": model,
        }
        sleep_until(answer_by + self.fake.writing_time(usage["candidatesTokenCount"]))
        if self.past_deadline():
            return self.fail(model, 504, "Deadline exceeded.")
        self.fake.record(model, 200, usage, "STOP")
        self.send_json(200, payload)
        return None

    def refuse(self, model: str, kind: str, prompt_tokens: int) -> None:
        """A refusal as the service sends it: HTTP 200, no text, the prompt's tokens counted."""
        usage = {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens}
        payload: dict[str, Any] = {"usageMetadata": usage, "modelVersion": model}
        if kind == "blocked":
            payload["promptFeedback"] = {"blockReason": "PROHIBITED_CONTENT"}
            finish = "PROMPT_BLOCKED"
        else:
            finish = kind.upper()
            candidate: dict[str, Any] = {"finishReason": finish, "index": 0}
            if kind == "safety":
                candidate["safetyRatings"] = [
                    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "HIGH", "blocked": True}
                ]
            else:
                candidate["citationMetadata"] = {"citationSources": [{"startIndex": 0, "endIndex": 120}]}
            payload["candidates"] = [candidate]
        self.fake.record(model, 200, {**usage, "candidatesTokenCount": 0, "thoughtsTokenCount": 0}, finish)
        self.send_json(200, payload)
