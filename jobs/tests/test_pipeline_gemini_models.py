"""Each model gets what it accepts (jobs.pipeline.gemini_models), and a model
that cannot serve a chunk hands it to the fallback (jobs.pipeline.gemini_engine),
through the real google-genai client against the fake server."""

from __future__ import annotations

import pytest

from jobs.pipeline import gemini_engine, gemini_models
from jobs.pipeline.gemini_calls import GeminiChunkFailed, ProcessSpentModels
from jobs.pipeline.words import count_words
from jobs.tests.test_pipeline_gemini_engine import FALLBACK, LIMIT, MAIN, assert_tokens_match, config_for, run

pytestmark = pytest.mark.first_pass

GEMINI_3 = "gemini-3.8-flash"


def generation_config(server) -> dict:
    return server.bodies[0]["generationConfig"]


@pytest.mark.parametrize(
    ("model", "thinking", "temperature"),
    [
        (GEMINI_3, {"thinkingLevel": "LOW"}, 1.0),
        ("gemini-2.5-flash-lite", {"thinkingBudget": 0}, 0.2),
        ("gemini-2.5-pro", {"thinkingBudget": 128}, 0.2),  # pro refuses 0
        ("gemini-9-unknown", None, None),  # not in the table: nothing a guess could break
    ],
)
def test_each_model_gets_the_thinking_parameter_and_temperature_of_its_row(fake_gemini, model, thinking, temperature):
    server = fake_gemini()
    run(config_for(server, model=model, fallback_model=None))

    sent = generation_config(server)
    # The SDK sends the config's keys in snake case; the service reads either.
    camel = {"thinking_level": "thinkingLevel", "thinking_budget": "thinkingBudget"}
    sent_thinking = {camel.get(k, k): v for k, v in (sent.get("thinkingConfig") or {}).items()} or None
    assert sent_thinking == thinking
    assert sent.get("temperature") == temperature


def test_a_row_of_the_settings_replaces_the_default():
    table = gemini_models.table_with(
        {GEMINI_3: {"thinking": "budget", "budget_range": [512, 8192], "temperature": 0.7}}
    )
    row = gemini_models.capabilities(GEMINI_3, table)
    assert row.thinking_config().thinking_budget == 512 and row.temperature == 0.7
    assert gemini_models.capabilities("gemini-2.5-flash", table).budget_range == (0, 24576)
    with pytest.raises(ValueError):
        gemini_models.table_with({"x": {"thinking": "level"}})  # a level model without levels


def test_the_output_cap_stays_within_the_models_own():
    table = gemini_models.table_with({"small": {"thinking": "none", "max_output_tokens": 4096}})
    config = config_for_table(table)
    assert gemini_engine.output_cap(9000, model="small", ceiling=32768, config=config) == 4096


def config_for_table(table):
    from jobs.pipeline.gemini_calls import GeminiConfig

    return GeminiConfig(api_key="k", models=table)


@pytest.mark.parametrize(
    ("option", "code"),
    [
        ("missing_models", "GEMINI_MODEL_NOT_FOUND"),  # retired
        ("thinking_required_models", "GEMINI_BAD_REQUEST"),  # refuses budget 0
        ("storm_models", "GEMINI_UNAVAILABLE"),  # 503 through every retry
        ("daily_quota_models", "GEMINI_QUOTA"),  # the day's quota spent
    ],
)
def test_a_model_that_cannot_serve_the_chunk_hands_it_to_the_fallback(fake_gemini, option, code):
    server = fake_gemini(**{option: frozenset({MAIN})})
    result = run(config_for(server), spent_models=ProcessSpentModels())

    by_model = server.stats()["requests_by_model"]
    assert by_model[FALLBACK] == 1 and by_model[MAIN] == (4 if option == "storm_models" else 1)
    assert set(result.tokens_by_model) == {FALLBACK} and all(count_words(s) <= LIMIT for s in result.sentences)
    assert_tokens_match(result, server.stats())
    # With no fallback, the chunk fails with the model's own problem.
    with pytest.raises(GeminiChunkFailed) as failure:
        run(config_for(server, fallback_model=None), spent_models=ProcessSpentModels())
    assert failure.value.code == code


def test_a_spent_daily_quota_falls_back_at_once_and_is_not_tried_again(fake_gemini):
    server = fake_gemini(daily_quota_models=frozenset({MAIN}))
    spent, slept = ProcessSpentModels(), []
    config = config_for(server, backoff_initial=30, backoff_max=60)

    first = run(config, spent_models=spent, sleep=slept.append)
    later = [run(config, spent_models=spent, sleep=slept.append) for _ in range(3)]

    assert slept == []  # no retry wait
    assert server.stats()["requests_by_model"] == {MAIN: 1, FALLBACK: 4}  # the later chunks never ask MAIN
    assert all(set(r.tokens_by_model) == {FALLBACK} for r in [first, *later])
    assert spent.spent(MAIN) and not spent.spent(FALLBACK)
