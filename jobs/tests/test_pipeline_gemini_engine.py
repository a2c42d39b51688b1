"""The Gemini engine through the real google-genai client against the project's fake server."""

from __future__ import annotations

import math
import threading
import time

import pytest
from google.genai import types

from devtools.fakegemini import ENGINE_LOCK, FakeGemini, cut_answer, over_limit
from jobs.pipeline import gemini_calls, gemini_engine, gemini_prompt, local_engine
from jobs.pipeline.gemini_calls import GeminiChunkFailed, GeminiConfig, GeminiStopped
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import count_words

pytestmark = pytest.mark.first_pass

MAIN, FALLBACK = "gemini-2.5-flash", "gemini-2.5-flash-lite"
KEY = "test-key"
LIMIT = 8

SOURCE = [
    SourceSentence("CHAPITRE PREMIER", heading=True, paragraph_start=True),
    SourceSentence(
        "Le vieux marin regardait la mer depuis le port, pendant que les enfants couraient sur la plage "
        "en criant des mots qu'il ne comprenait plus.",
        paragraph_start=True,
    ),
    SourceSentence(
        "Il pensait à sa femme, morte depuis dix ans, et à la maison blanche qu'ils avaient bâtie "
        "ensemble au bord de la falaise, face aux vents du large."
    ),
    SourceSentence("Le soir tombait."),
    SourceSentence(
        "– Viens manger, lui cria sa fille depuis la fenêtre de la cuisine où brillait une lampe.",
        paragraph_start=True,
        dialogue=True,
    ),
    SourceSentence(
        "Il se leva lentement, ramassa son vieux chapeau de paille et remonta le chemin de pierres "
        "qui menait au village endormi.",
        paragraph_start=True,
    ),
]


def config_for(server: FakeGemini, **overrides) -> GeminiConfig:
    values = dict(
        api_key=KEY,
        base_url=server.url,
        model=MAIN,
        fallback_model=FALLBACK,
        timeout_seconds=0.5,
        max_attempts=4,
        backoff_initial=0.01,
        backoff_max=0.05,
    )
    values.update(overrides)
    return GeminiConfig(**values)


def run(config: GeminiConfig, sentences=SOURCE, **kwargs):
    options = dict(
        context_before="La nuit précédente avait été longue.",
        context_after="Le lendemain, il partit.",
        limit=LIMIT,
        min_length=2,
        ignore_dialogue=False,
        preserve_formatting=False,
        fix_hyphenation=True,
        config=config,
    )
    options.update(kwargs)
    return gemini_engine.rewrite(sentences, **options)


def assert_tokens_match(result, stats) -> None:
    """Every token the fake reported is counted, per model (billing is another matter)."""
    tokens = stats["tokens"]
    assert result.input_tokens == sum(t["prompt"] for t in tokens.values())
    assert result.output_tokens == sum(t["candidates"] + t["thoughts"] for t in tokens.values())
    assert result.usage_by_model == {
        model: {"input": t["prompt"], "output": t["candidates"] + t["thoughts"]} for model, t in tokens.items()
    }


def test_clean_answer_is_the_fakes_sentences_with_its_token_counts(fake_gemini):
    server = fake_gemini()
    result = run(config_for(server))

    assert result.api_calls == 1
    assert result.sentences == fake_answer() != local_answer()  # the fake's, not the engine's fallback
    assert all(count_words(s) <= LIMIT for s in result.sentences)
    stats = server.stats()
    assert stats["requests"] == 1
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert_tokens_match(result, stats)
    assert set(result.tokens_by_model) == {MAIN}


def test_request_asks_for_structured_output_without_thinking(fake_gemini):
    server = fake_gemini()
    run(config_for(server))

    config = server.last_request["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "sentences" in str(config["responseSchema"])
    thinking = config["thinkingConfig"]  # the SDK sends this one in snake_case; the API reads both
    assert thinking.get("thinkingBudget", thinking.get("thinking_budget")) == 0
    assert gemini_calls.thinking_config("gemini-2.5-pro").thinking_budget == 128


def test_context_is_sent_read_only_and_not_output(fake_gemini):
    server = fake_gemini()
    result = run(config_for(server), context_before="Une phrase du contexte avant qui ne doit pas revenir.")

    prompt = server.last_request["contents"][0]["parts"][0]["text"]
    assert "Une phrase du contexte avant" in prompt
    assert not any("contexte avant" in sentence for sentence in result.sentences)


def test_ignore_dialogue_leaves_dialogue_out(fake_gemini):
    server = fake_gemini()
    result = run(config_for(server), ignore_dialogue=True)

    assert result.sentences
    assert not any("manger" in sentence for sentence in result.sentences)


def test_mixed_faults_still_give_sentences_within_the_limit(fake_gemini):
    server = fake_gemini(error_rate=0.3, slow_seconds=0.8)
    config = config_for(server)
    results = [run(config) for _ in range(8)]

    assert sum(r.api_calls for r in results) > len(results)  # the retries and repairs show
    assert all(count_words(s) <= LIMIT for r in results for s in r.sentences)
    assert all(r.sentences for r in results)
    stats = server.stats()
    assert len(stats["injected"]) >= 3  # mixed, not one kind of fault
    assert sum(r.api_calls for r in results) == stats["requests"]
    assert sum(r.input_tokens for r in results) == sum(t["prompt"] for t in stats["tokens"].values())
    assert sum(u["input"] + u["output"] for r in results for u in r.usage_by_model.values()) == stats["total_tokens"]


def test_quota_exhaustion_moves_to_the_fallback_and_bills_it(fake_gemini):
    server = fake_gemini(exhausted_models=frozenset({MAIN}))
    waits: list[str] = []
    result = run(config_for(server), on_wait=waits.append)

    assert set(result.tokens_by_model) == {FALLBACK}
    assert result.api_calls == 4 + 1
    assert server.stats()["requests_by_model"] == {MAIN: 4, FALLBACK: 1}
    assert f"Waiting for Gemini quota ({MAIN})" in waits
    assert all(count_words(s) <= LIMIT for s in result.sentences)


def test_quota_exhausted_everywhere_fails_with_a_quota_error_after_waiting_the_retry_delay(fake_gemini):
    server = fake_gemini(exhausted_models=frozenset({MAIN}), retry_delay=0.2)
    slept: list[float] = []
    with pytest.raises(GeminiChunkFailed) as failure:
        run(config_for(server, fallback_model=None, max_attempts=3, backoff_max=0.2), sleep=slept.append)

    assert failure.value.code == "GEMINI_QUOTA"
    assert failure.value.api_calls == 3 == server.stats()["requests"]
    assert sum(slept) >= 2 * 0.2  # two waits, each at least the server's RetryInfo delay


def test_a_quota_that_will_not_come_back_soon_goes_to_the_fallback_at_once(fake_gemini):
    server = fake_gemini(exhausted_models=frozenset({MAIN}), retry_delay=3600)  # a daily quota
    slept: list[float] = []
    result = run(config_for(server), sleep=slept.append)

    assert set(result.tokens_by_model) == {FALLBACK}  # the main model's 429 reported no usage
    assert server.stats()["requests_by_model"] == {MAIN: 1, FALLBACK: 1}
    assert sum(slept) < 1


def test_every_call_failing_raises_with_the_calls_counted(fake_gemini):
    server = fake_gemini(error_rate=1.0, error_kinds=("unavailable",))
    with pytest.raises(GeminiChunkFailed) as failure:
        run(config_for(server))

    assert failure.value.code == "GEMINI_UNAVAILABLE"
    assert failure.value.api_calls == 8
    assert failure.value.input_tokens == 0
    # A 503 storm that outlasts the retries moves the chunk to the fallback, which gets its own.
    assert server.stats()["requests_by_model"] == {MAIN: 4, FALLBACK: 4}


def test_timeouts_are_retried_then_reported(fake_gemini):
    server = fake_gemini(error_rate=1.0, error_kinds=("slow",), slow_seconds=0.6)
    with pytest.raises(GeminiChunkFailed) as failure:
        run(config_for(server, timeout_seconds=0.3, max_attempts=2))

    assert failure.value.code == "GEMINI_TIMEOUT"
    assert failure.value.api_calls == 2


def test_should_stop_before_the_first_call_sends_nothing(fake_gemini):
    server = fake_gemini()
    with pytest.raises(GeminiStopped):
        run(config_for(server), should_stop=lambda: True)

    assert server.stats()["requests"] == 0


def test_stop_during_a_retry_wait_sends_nothing_more(fake_gemini):
    server = fake_gemini(error_rate=1.0, error_kinds=("unavailable",))
    stop = {"now": False}

    def sleep(seconds: float) -> None:
        stop["now"] = True  # the job is cancelled while the chunk waits to retry

    with pytest.raises(GeminiStopped) as stopped:
        run(config_for(server), should_stop=lambda: stop["now"], sleep=sleep)

    assert stopped.value.api_calls == 1
    assert server.stats()["requests"] == 1


def test_wrong_api_key_fails_at_once_without_retry(fake_gemini):
    server = fake_gemini(api_key="the-right-key")
    with pytest.raises(GeminiChunkFailed) as failure:
        run(config_for(server, api_key="a-wrong-key"))

    assert failure.value.code == "GEMINI_AUTH"
    assert "API key" in failure.value.message
    assert failure.value.api_calls == 1
    assert server.stats()["requests"] == 1


def test_over_limit_sentences_get_one_repair_naming_only_them_answered_in_place(fake_gemini):
    server = fake_gemini(error_rate=1.0, error_kinds=("overlimit",))
    result = run(config_for(server))

    assert result.api_calls == 2
    answer = over_limit(fake_answer())
    over = [s for s in answer if count_words(s) > LIMIT]
    repair = prompt_of(server.bodies[1])
    assert "<<<A_CORRIGER>>>" in repair and "<<<TEXTE>>>" not in repair  # not the chunk
    assert repair.count("(trop longue)") == len(over) and all(s in repair for s in over)
    # The fake corrects each with its local engine: the same pieces as splitting them here.
    assert result.sentences == gemini_engine.enforce_limit(answer, limit=LIMIT, min_length=2) != answer
    assert all(count_words(s) <= LIMIT for s in result.sentences)
    assert_tokens_match(result, server.stats())
    assert result.sentences_by_engine == {"gemini": len(result.sentences), "local": 0}  # Gemini wrote every one
    assert result.tokens_by_model == {MAIN: server.stats()["total_tokens"]}


def test_a_repair_call_holds_only_the_bad_sentences_and_their_neighbours(fake_gemini):
    """Issue #13, must-show 5: 3 over-limit sentences and 2 fragments, one repair call."""
    good = [f"Le marin numéro {n} regardait la mer." for n in range(1, 9)]
    long = [
        "Le vieux marin regardait la mer depuis le port pendant que les enfants couraient sur la plage.",
        "Il se leva lentement et ramassa son chapeau de paille avant de remonter le chemin de pierres.",
        "La cloche de l'église sonnait midi quand le facteur arriva au village avec ses lettres du matin.",
    ]
    fragments = ["Depuis le vieux port de pêche.", "Sur le chemin de pierres blanches."]
    answer = [good[0], long[0], good[1], fragments[0], good[2], good[3], long[1], good[4], fragments[1], good[5],
              long[2], good[6], good[7]]  # fmt: skip
    server = fake_gemini(answer_with=tuple(answer))
    result = run(config_for(server, repair_fragments=True), sentences=[SourceSentence(s) for s in answer])

    assert result.api_calls == 2  # the answer, one repair
    repair = prompt_of(server.bodies[1])
    assert repair.count("(trop longue)") == 3 and repair.count("(incomplète") == 2
    assert all(s in repair for s in long + fragments)
    # Each with its neighbours as context, and nothing of the chunk besides.
    assert f"avant : {good[1]}\naprès : {good[2]}" in repair and f"après : {good[6]}" in repair
    assert {good[7]} & set(repair.replace("avant : ", "\n").replace("après : ", "\n").split("\n")) == set()
    assert "<<<TEXTE>>>" not in repair and len(repair) < sum(len(s) for s in answer) * 3
    # The answers replace them where they stood; the good sentences are untouched, in order.
    assert [s for s in result.sentences if s in good] == good
    assert all(count_words(s) <= LIMIT for s in result.sentences)
    assert result.sentences.index(good[0]) < result.sentences.index(good[1]) - 1  # long[0]'s pieces in between


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_unusable_answer_twice_falls_back_to_the_local_engine_billed_at_its_rate(fake_gemini, kind):
    server = fake_gemini(error_rate=1.0, error_kinds=(kind,))
    result = run(config_for(server))

    assert result.api_calls == 2
    local = local_engine.rewrite(SOURCE, limit=LIMIT, min_length=2)
    assert result.sentences == local.sentences
    assert_tokens_match(result, server.stats())  # both unusable answers are counted …
    assert result.tokens_by_model == {"local": local.input_tokens + local.output_tokens}  # … and not billed
    assert result.sentences_by_engine == {"gemini": 0, "local": len(local.sentences)}


def test_answer_that_loses_most_words_is_treated_as_malformed():
    response = types.GenerateContentResponse.model_validate(
        {"candidates": [{"content": {"parts": [{"text": '{"sentences": ["Il partit."]}'}]}, "finish_reason": "STOP"}]}
    )
    answer = gemini_prompt.parse_answer(response, limit=LIMIT, expected_words=60, preserve_formatting=False)

    assert answer.sentences is None
    assert answer.problem


def test_limiter_is_asked_before_every_call(fake_gemini):
    server = fake_gemini(error_rate=1.0, error_kinds=("internal",))
    asked: list[tuple[str, int]] = []
    with pytest.raises(GeminiChunkFailed):
        run(config_for(server, max_attempts=3), acquire=lambda model, tokens: asked.append((model, tokens)))

    assert [model for model, _ in asked] == [MAIN] * 3
    assert all(tokens > 100 for _, tokens in asked)


def test_limiter_refusal_stops_the_chunk(fake_gemini):
    server = fake_gemini()
    with pytest.raises(GeminiStopped):
        run(config_for(server), acquire=lambda model, tokens: False)

    assert server.stats()["requests"] == 0


def test_one_client_per_key_and_endpoint():
    first = gemini_calls.client_for("k1", "http://127.0.0.1:9")
    assert gemini_calls.client_for("k1", "http://127.0.0.1:9") is first
    assert gemini_calls.client_for("k2", "http://127.0.0.1:9") is not first


def test_nothing_owned_costs_nothing():
    config = GeminiConfig(api_key=KEY, base_url="http://127.0.0.1:9")
    dialogue_only = [SourceSentence("– Oui, dit-il.", paragraph_start=True, dialogue=True)]
    result = run(config, sentences=dialogue_only, ignore_dialogue=True)

    assert result.sentences == []
    assert result.api_calls == 0


# --- a chunk sent as sections, all in flight at once (issue #15) --------------------


def test_sections_are_all_in_flight_at_once_and_joined_in_source_order(fake_gemini):
    server = fake_gemini(latency=0.4)
    threads_done: list[str] = []
    result = run(
        config_for(server, timeout_seconds=5),
        sections=3,
        thread_done=lambda: threads_done.append(threading.current_thread().name),
    )

    stats = server.stats()
    assert result.api_calls == stats["requests"] == 3
    assert stats["max_in_flight"] == 3  # not one after the other
    # Every owned sentence rewritten once, in order: the fake's cut of the whole chunk.
    assert result.sentences == fake_answer()
    assert_tokens_match(result, stats)
    assert result.sentences_by_engine == {"gemini": len([s for s in result.sentences if s]), "local": 0}
    assert sorted(threads_done) == [f"gemini-section-{n}" for n in range(3)]


def test_each_section_is_sent_with_its_neighbours_as_read_only_context(fake_gemini):
    server = fake_gemini()
    run(config_for(server), sections=2)

    first, second = sorted((prompt_of(body) for body in server.bodies), key=lambda p: p.find("CHAPITRE"))[::-1]
    assert "La nuit précédente" in first and "remonta le chemin" in first  # the chunk's context, the next section
    assert "Le lendemain, il partit." in second and "Le vieux marin" in second


def test_sections_split_the_text_evenly_and_never_exceed_the_sentences():
    sentences = [SourceSentence("mot " * n) for n in (3, 12, 2, 8, 8, 5, 10)]
    parts = gemini_engine.split_sections(sentences, 3)

    assert [s for part in parts for s in part] == sentences and len(parts) == 3 and all(parts)
    many = gemini_engine.split_sections(sentences, 50)
    assert [s for part in many for s in part] == sentences and all(many) and len(many) <= len(sentences)
    assert gemini_engine.split_sections(sentences, 1) == [sentences]


def test_a_stop_with_sections_in_flight_returns_without_them_and_sends_nothing_more(fake_gemini):
    server = fake_gemini(latency=3.0)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()  # the job is cancelled while every section is in flight
    started = time.perf_counter()
    with pytest.raises(GeminiStopped):
        run(config_for(server, timeout_seconds=10), sections=3, should_stop=stop.is_set)

    assert time.perf_counter() - started < 2.5  # the calls in flight were not waited for
    time.sleep(3.5)  # they end on their own
    assert server.stats()["requests"] == 3  # and no call started after the stop


def test_a_failing_section_fails_the_chunk_with_every_sections_calls_counted(fake_gemini):
    server = fake_gemini(fail_text="village endormi")  # only the last section's text
    with pytest.raises(GeminiChunkFailed) as failure:
        run(config_for(server, max_attempts=2), sections=3)

    stats = server.stats()
    assert failure.value.code == "GEMINI_UNAVAILABLE"
    assert failure.value.api_calls == stats["requests"] >= 3
    assert failure.value.input_tokens == sum(t["prompt"] for t in stats["tokens"].values()) > 0


# --- every answer classified before parsing ------------------------------------------


def prompt_of(body: dict) -> str:
    return body["contents"][0]["parts"][0]["text"]


def local_answer(**options) -> list[str]:
    """What the local engine writes for SOURCE: the chunk when Gemini's answer cannot be used."""
    with ENGINE_LOCK:  # an earlier test's server may still be answering
        return local_engine.rewrite(SOURCE, limit=LIMIT, min_length=2, **options).sentences


def fake_answer(**options) -> list[str]:
    """What the fake answers for SOURCE (its default cut, no parse): Gemini's text, kept."""
    return cut_answer(SOURCE, limit=LIMIT, **options)


def test_each_call_turns_the_adjustable_safety_filters_off_and_caps_output_near_twice_the_expected(fake_gemini):
    server = fake_gemini()
    run(config_for(server, max_output_tokens=32768))

    body = server.last_request
    assert {s["category"]: s["threshold"] for s in body["safetySettings"]} == {
        "HARM_CATEGORY_HARASSMENT": "OFF",
        "HARM_CATEGORY_HATE_SPEECH": "OFF",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT": "OFF",
        "HARM_CATEGORY_DANGEROUS_CONTENT": "OFF",
    }
    expected = math.ceil(sum(len(s.text) for s in SOURCE) / 4 * gemini_engine.OUTPUT_TOKEN_FACTOR)
    cap = body["generationConfig"]["maxOutputTokens"]
    assert cap == max(gemini_engine.MIN_OUTPUT_CAP, 2 * expected) < 32768


def test_a_long_chunks_cap_follows_its_expected_output():
    assert gemini_engine.output_cap(9000, model="gemini-2.5-flash", ceiling=32768) == 18000
    assert gemini_engine.output_cap(9000, model="gemini-2.5-pro", ceiling=32768) == 18000 + 128  # thinking's minimum
    assert gemini_engine.output_cap(30000, model="gemini-2.5-flash", ceiling=32768) == 32768


@pytest.mark.parametrize(("option", "finish"), [("safety_rate", "SAFETY"), ("blocked_rate", "PROMPT_BLOCKED")])
def test_a_refused_or_blocked_answer_goes_to_the_local_engine_at_once_without_a_repair(fake_gemini, option, finish):
    server = fake_gemini(**{option: 1.0})
    result = run(config_for(server))

    assert result.api_calls == 1 and server.stats()["requests"] == 1  # no blind repair
    assert result.finish_reasons == {finish: 1}
    assert result.sentences == local_answer()
    assert result.sentences_by_engine == {"gemini": 0, "local": len(result.sentences)}
    assert set(result.tokens_by_model) == {"local"}  # billed at the local rate
    assert_tokens_match(result, server.stats())  # the prompt's tokens Gemini reported are still counted


def test_recitation_gets_one_reworded_hotter_retry_then_the_local_engine(fake_gemini):
    server = fake_gemini(recitation_rate=1.0)
    result = run(config_for(server))

    assert result.api_calls == 2 and result.finish_reasons == {"RECITATION": 2}
    first, retry = server.bodies
    assert "REFORMULATION" not in prompt_of(first) and "REFORMULATION" in prompt_of(retry)
    assert retry["generationConfig"]["temperature"] == gemini_engine.RECITATION_TEMPERATURE
    assert first["generationConfig"]["temperature"] < gemini_engine.RECITATION_TEMPERATURE
    assert result.sentences == local_answer() and set(result.tokens_by_model) == {"local"}


def test_a_reworded_retry_that_passes_keeps_geminis_answer(fake_gemini):
    server = fake_gemini(recitation_rate=0.5, seed=3)
    results = [run(config_for(server)) for _ in range(12)]

    passed = [r for r in results if r.finish_reasons == {"RECITATION": 1, "STOP": 1}]
    assert passed, [r.finish_reasons for r in results]
    for result in passed:
        assert result.api_calls == 2 and result.sentences == fake_answer()  # the fake's answer
        assert result.sentences_by_engine["local"] == 0 and set(result.tokens_by_model) == {MAIN}
    assert all(r.finish_reasons.get("RECITATION", 0) <= 2 and r.api_calls <= 2 for r in results)


@pytest.mark.parametrize("option", ["truncation_rate", "looping_rate"])
def test_a_cut_answer_keeps_its_complete_sentences_and_asks_only_for_the_rest(fake_gemini, option):
    server = fake_gemini(**{option: 0.5}, seed=5)
    results = [run(config_for(server)) for _ in range(12)]

    continued = [r for r in results if r.finish_reasons == {"MAX_TOKENS": 1, "STOP": 1}]
    assert continued, [r.finish_reasons for r in results]
    for result in continued:
        assert result.api_calls == 2 and result.sentences == fake_answer()  # nothing lost, nothing twice
        assert result.sentences_by_engine["local"] == 0
    rests = [b for b in server.bodies if "<<<DEJA_ECRIT>>>" in prompt_of(b)]
    assert rests and all(
        b["generationConfig"]["maxOutputTokens"] <= server.bodies[0]["generationConfig"]["maxOutputTokens"]
        for b in rests
    )  # the cap is never raised
    assert all(r.api_calls <= 2 for r in results)


def test_a_looping_answer_costs_at_most_its_cap(fake_gemini):
    server = fake_gemini(looping_rate=1.0)
    result = run(config_for(server))

    cap = server.bodies[0]["generationConfig"]["maxOutputTokens"]
    assert result.finish_reasons == {"MAX_TOKENS": 2} and result.api_calls == 2
    assert result.output_tokens <= 2 * cap and result.sentences == local_answer()


@pytest.mark.parametrize("kind", ["malformed"])
def test_a_malformed_answer_gets_one_repair(fake_gemini, kind):
    server = fake_gemini(error_rate=0.5, error_kinds=(kind,), seed=11)
    results = [run(config_for(server)) for _ in range(8)]

    repaired = [r for r in results if r.api_calls == 2 and r.sentences_by_engine["local"] == 0]
    assert repaired and all(r.sentences == fake_answer() for r in repaired)
    assert any("CORRECTION" in prompt_of(b) for b in server.bodies)
