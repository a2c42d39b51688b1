"""The fake Gemini server: the protocol google-genai speaks, its faults and its counters."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devtools.fakegemini import FakeGemini, read_request
from jobs.pipeline import gemini_prompt
from jobs.pipeline.text import SourceSentence

pytestmark = pytest.mark.first_pass

KEY = "fake-test-key"
ROOT = Path(__file__).resolve().parents[2]
SOURCE = [
    SourceSentence("LIVRE I", heading=True, paragraph_start=True),
    SourceSentence(
        "Marius marchait vite dans la rue déserte, sans regarder les passants ni les boutiques fermées.",
        paragraph_start=True,
    ),
    SourceSentence("Il avait faim."),
]


def body(model_prompt: str, *, json_output: bool = True) -> dict:
    config = {"responseMimeType": "application/json"} if json_output else {}
    return {"contents": [{"role": "user", "parts": [{"text": model_prompt}]}], "generationConfig": config}


PROMPT_OPTIONS = dict(
    context_before="Avant.",
    context_after="Après.",
    limit=8,
    min_length=2,
    ignore_dialogue=False,
    preserve_formatting=False,
    fix_hyphenation=True,
)


def prompt(limit: int = 8, **options) -> str:
    return gemini_prompt.build_prompt(SOURCE, **{**PROMPT_OPTIONS, "limit": limit, **options})


@pytest.fixture
def server():
    fake = FakeGemini(port=0, api_key=KEY, seed=1, retry_delay=2).start()
    yield fake
    fake.stop()


def post(fake: FakeGemini, path: str, payload: dict, key: str | None = KEY) -> httpx.Response:
    headers = {"x-goog-api-key": key} if key else {}
    return httpx.post(fake.url + path, json=payload, headers=headers, timeout=10)


def test_prompt_round_trip_recovers_the_owned_sentences_and_options():
    request = read_request(body(prompt(limit=5, ignore_dialogue=True, preserve_formatting=True)))

    assert [s.text for s in request.sentences] == [s.text for s in SOURCE]
    assert [(s.heading, s.paragraph_start) for s in request.sentences] == [(True, True), (False, True), (False, False)]
    assert (request.limit, request.ignore_dialogue, request.preserve_formatting) == (5, True, True)


@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_answers_json_sentences_within_the_limit_with_honest_usage(server, version):
    response = post(server, f"/{version}/models/gemini-2.5-flash:generateContent", body(prompt(limit=6)))

    assert response.status_code == 200
    data = response.json()
    text = data["candidates"][0]["content"]["parts"][0]["text"]
    sentences = json.loads(text)["sentences"]
    assert sentences[0] == "LIVRE I"
    assert all(len(s.split()) <= 6 for s in sentences)
    usage = data["usageMetadata"]
    assert usage["candidatesTokenCount"] == -(-len(text) // 4)
    assert usage["promptTokenCount"] == -(-len(prompt(limit=6)) // 4)
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert server.stats()["tokens"]["gemini-2.5-flash"]["total"] == usage["totalTokenCount"]


def test_plain_text_answer_when_json_is_not_asked(server):
    response = post(server, "/v1beta/models/gemini-2.5-flash:generateContent", body(prompt(), json_output=False))

    text = response.json()["candidates"][0]["content"]["parts"][0]["text"]
    assert text.splitlines()[0] == "LIVRE I"


def test_api_key_is_checked(server):
    missing = post(server, "/v1/models/gemini-2.5-flash:generateContent", body(prompt()), key=None)
    wrong = post(server, "/v1/models/gemini-2.5-flash:generateContent", body(prompt()), key="nope")

    assert missing.status_code == 401
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    assert wrong.status_code == 403
    assert set(wrong.json()["error"]) == {"code", "message", "status", "details"}
    assert server.stats()["responses_by_status"] == {"401": 1, "403": 1}


def test_unknown_method_and_prompt_without_markers_are_client_errors(server):
    assert post(server, "/v1/models/gemini-2.5-flash:embedContent", body(prompt())).status_code == 404
    assert post(server, "/v1/models/gemini-2.5-flash:generateContent", body("no markers")).status_code == 400


def test_count_tokens_counts_as_the_usage_does_through_the_real_client(server):
    from jobs.pipeline import gemini_calls

    text = prompt()
    counted = gemini_calls.count_tokens(
        api_key=KEY, base_url=server.url, model="gemini-2.5-flash", text=text, timeout_seconds=5
    )
    answered = post(server, "/v1/models/gemini-2.5-flash:generateContent", body(text)).json()

    # The same four characters a token as generateContent's prompt count (which adds no instruction here).
    assert counted == math.ceil(len(text) / 4) == answered["usageMetadata"]["promptTokenCount"]
    stats = server.stats()
    assert stats["token_counts"] == 1 and stats["requests"] == 1  # free: not a generateContent request


def test_quota_rpm_answers_429_with_a_retry_delay_and_counts_every_request():
    fake = FakeGemini(port=0, quota_rpm=2, retry_delay=3).start()
    try:
        codes = [post(fake, "/v1/models/m:generateContent", body(prompt())).status_code for _ in range(3)]
        other = post(fake, "/v1/models/other:generateContent", body(prompt())).status_code
        refused = post(fake, "/v1/models/m:generateContent", body(prompt())).json()["error"]
        stats = fake.stats()
    finally:
        fake.stop()

    assert codes == [200, 200, 429] and other == 200  # per model
    assert refused["status"] == "RESOURCE_EXHAUSTED"
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"} in refused["details"]
    assert stats["requests_by_model"] == {"m": 4, "other": 1}
    assert stats["max_requests_per_minute"]["m"] == 4  # received, refused ones included


def test_error_rate_mixes_faults():
    fake = FakeGemini(port=0, error_rate=1.0, seed=3, error_kinds=("quota", "internal", "unavailable", "malformed"))
    fake.start()
    try:
        codes = {post(fake, "/v1/models/m:generateContent", body(prompt())).status_code for _ in range(20)}
        injected = fake.stats()["injected"]
    finally:
        fake.stop()

    assert codes == {200, 429, 500, 503}
    assert sum(injected.values()) == 20


def test_management_command_serves_the_protocol():
    process = subprocess.Popen(
        [sys.executable, "manage.py", "fake_gemini", "--port", "0", "--api-key", KEY],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "listening on http://" in line, line
        url = line.split("listening on ")[1].split()[0]
        response = httpx.post(
            url + "/v1beta/models/gemini-2.5-flash-lite:generateContent",
            json=body(prompt()),
            headers={"x-goog-api-key": KEY},
            timeout=30,
        )
        assert response.status_code == 200
        assert httpx.get(url + "/_stats").json()["requests_by_model"] == {"gemini-2.5-flash-lite": 1}
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- the real service's behaviours, through the real google-genai client ----------------


def genai_call(fake: FakeGemini, model: str = "gemini-2.5-flash", text: str | None = None, **config):
    from google import genai
    from google.genai import types

    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=fake.url))
    return client.models.generate_content(
        model=model,
        contents=text or prompt(),
        config=types.GenerateContentConfig(response_mime_type="application/json", **config),
    )


@pytest.mark.parametrize(
    ("option", "finish"),
    [("recitation_rate", "RECITATION"), ("safety_rate", "SAFETY")],
)
def test_a_refused_answer_has_its_finish_reason_no_text_and_the_prompts_tokens(option, finish):
    with FakeGemini(port=0, api_key=KEY, **{option: 1.0}) as fake:
        response = genai_call(fake)
    assert response.candidates[0].finish_reason.value == finish
    assert response.text is None and response.usage_metadata.prompt_token_count > 0
    assert fake.stats()["finish_reasons"] == {finish: 1}


def test_a_blocked_prompt_comes_as_200_with_a_block_reason_and_no_candidate():
    with FakeGemini(port=0, api_key=KEY, blocked_rate=1.0) as fake:
        response = genai_call(fake)
    assert response.prompt_feedback.block_reason.value == "PROHIBITED_CONTENT"
    assert not response.candidates and response.text is None


def test_every_answer_longer_than_the_cap_is_cut_there_and_a_looping_one_runs_to_it():
    with FakeGemini(port=0, api_key=KEY, looping_rate=1.0) as fake:
        response = genai_call(fake, max_output_tokens=300)
    assert response.candidates[0].finish_reason.value == "MAX_TOKENS"
    assert response.usage_metadata.candidates_token_count == 300
    with FakeGemini(port=0, api_key=KEY) as fake:
        cut = genai_call(fake, max_output_tokens=10)
    assert cut.candidates[0].finish_reason.value == "MAX_TOKENS" and cut.usage_metadata.candidates_token_count == 10


def test_a_continuation_gets_only_the_sentences_after_those_already_written():
    with FakeGemini(port=0, api_key=KEY) as fake:
        whole = json.loads(genai_call(fake).text)["sentences"]
        rest = json.loads(genai_call(fake, text=gemini_prompt.continuation_prompt(prompt(), whole[:2])).text)
    assert rest["sentences"] == whole[2:] and len(whole) > 2


@pytest.mark.parametrize(
    ("option", "code", "needle"),
    [
        ("missing_models", 404, "not found"),
        ("daily_quota_models", 429, "PerDay"),
        ("storm_models", 503, "overloaded"),
    ],
)
def test_retired_models_spent_daily_quotas_and_storms(option, code, needle):
    from google.genai import errors

    with FakeGemini(port=0, api_key=KEY, **{option: frozenset({"gemini-old"})}) as fake:
        with pytest.raises(errors.APIError) as failure:
            genai_call(fake, model="gemini-old")
        assert genai_call(fake).candidates[0].finish_reason.value == "STOP"  # other models answer
    assert failure.value.code == code and needle in json.dumps(failure.value.details)


# --- latency that follows the answer's length, and a cheap answer ------------------------


def test_latency_is_base_plus_output_tokens_over_tps_on_top_of_the_fixed_latency():
    import time

    from google.genai import types

    timed = []
    with FakeGemini(port=0, api_key=KEY, latency=0.1, base=0.2, tps=100) as fake:
        genai_call(fake)  # the client's first call pays for its own setup
        for text in (prompt(), gemini_prompt.build_prompt([*SOURCE, *SOURCE[1:] * 4], **PROMPT_OPTIONS)):
            started = time.monotonic()
            response = genai_call(fake, text=text, http_options=types.HttpOptions(timeout=30_000))
            timed.append((time.monotonic() - started, response.usage_metadata.candidates_token_count))
    (short, short_tokens), (long, long_tokens) = timed
    assert long_tokens > 2 * short_tokens
    for elapsed, tokens in timed:
        expected = 0.1 + 0.2 + tokens / 100
        # Never sooner; later only by the client and a loaded machine (a token term counted twice is 2 s more).
        assert expected <= elapsed < expected + 1.5, (elapsed, tokens)
    assert long - short > (long_tokens - short_tokens) / 100 - 0.1  # the tokens' share, not a fixed delay


def test_the_fake_counts_the_calls_in_flight_at_once():
    import threading

    with FakeGemini(port=0, api_key=KEY, latency=0.5) as fake:
        genai_call(fake)
        calls = [threading.Thread(target=genai_call, args=(fake,)) for _ in range(4)]
        for call in calls:
            call.start()
        for call in calls:
            call.join()
        stats = fake.stats()
    assert stats["max_in_flight"] == 4 and stats["in_flight"] == 0 and stats["requests"] == 5


def test_the_default_answer_is_a_cut_of_the_owned_sentences_without_a_parse(monkeypatch):
    from devtools.fakegemini import cut_answer
    from jobs.pipeline import local_engine

    with FakeGemini(port=0, api_key=KEY) as fake:  # it loads the engine for repairs, then no answer uses it
        monkeypatch.setattr(local_engine, "nlp", lambda: pytest.fail("the default answer parsed a sentence"))
        sentences = json.loads(genai_call(fake, text=prompt(limit=6)).text)["sentences"]
    assert sentences == cut_answer(SOURCE, limit=6)
    assert " ".join(sentences).split() == " ".join(s.text for s in SOURCE).split()  # no word lost or added
    long = [len(s.split()) for s in sentences[1:-1]]
    assert len(long) == 3 and max(long) <= 6 and max(long) - min(long) <= 1  # 15 words: 5 + 5 + 5
    assert cut_answer(SOURCE, limit=6, preserve_formatting=True)[:3] == ["", "LIVRE I", ""]


def test_the_answer_can_still_be_the_local_engines():
    from devtools.fakegemini import ENGINE_LOCK
    from jobs.pipeline import local_engine

    with FakeGemini(port=0, api_key=KEY, answer="split") as fake:
        sentences = json.loads(genai_call(fake, text=prompt(limit=6)).text)["sentences"]
    with ENGINE_LOCK:
        assert sentences == local_engine.rewrite(SOURCE, limit=6, mode="split").sentences
    with pytest.raises(ValueError, match="unknown answer"):
        FakeGemini(port=0, answer="poetry")


def test_an_answer_ready_only_past_the_clients_deadline_is_a_504_and_not_billed():
    # The client says its deadline (X-Server-Timeout, as google-genai sends it); the service stops
    # there and bills nothing. An answer computed later (the engine queued) is no answer at all.
    fake = FakeGemini(port=0, api_key=KEY, latency=1.5).start()
    try:
        late = httpx.post(
            fake.url + "/v1/models/m:generateContent",
            json=body(prompt()),
            headers={"x-goog-api-key": KEY, "X-Server-Timeout": "1"},
            timeout=10,
        )
        in_time = httpx.post(
            fake.url + "/v1/models/m:generateContent",
            json=body(prompt()),
            headers={"x-goog-api-key": KEY, "X-Server-Timeout": "5"},
            timeout=10,
        )
        stats = fake.stats()
    finally:
        fake.stop()

    assert late.status_code == 504 and late.json()["error"]["status"] == "DEADLINE_EXCEEDED"
    assert in_time.status_code == 200
    assert stats["tokens"]["m"]["total"] == in_time.json()["usageMetadata"]["totalTokenCount"]  # the late one: none
