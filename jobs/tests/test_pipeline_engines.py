"""One entry point for both engines (jobs.pipeline.engines): the same
sentences as each engine's own rewrite, one result type, the figures
measured on the output."""

from __future__ import annotations

import pytest

from devtools.fakegemini import ENGINE_LOCK, FakeGemini
from jobs.pipeline import engines, local_engine
from jobs.pipeline.gemini_calls import GeminiConfig
from jobs.pipeline.text import ChunkSource
from jobs.pipeline.words import count_words
from jobs.tests.test_pipeline_gemini_engine import KEY, LIMIT, SOURCE
from jobs.types import ProcessingSettings

MODEL = "gemini-2.5-flash"
CHUNK = ChunkSource(sentences=SOURCE, context_before="", context_after="", pages_read=1)
SETTINGS = ProcessingSettings(sentence_length_limit=LIMIT, preserve_formatting=True)


@pytest.fixture
def gemini():
    server = FakeGemini(port=0, api_key=KEY, seed=7, retry_delay=0).start()
    yield engines.GeminiEngine(
        config=GeminiConfig(api_key=KEY, base_url=server.url, model=MODEL, fallback_model=None, timeout_seconds=5)
    )
    server.stop()


def test_the_local_engine_gives_its_own_sentences_and_measures_them():
    result = engines.rewrite(CHUNK, SETTINGS, engines.LOCAL)

    own = local_engine.rewrite(SOURCE, limit=LIMIT, min_length=2, preserve_formatting=True)
    assert result.sentences == own.sentences
    assert (result.input_tokens, result.output_tokens, result.api_calls) == (own.input_tokens, own.output_tokens, 0)
    assert result.tokens_by_model == {"local": own.input_tokens + own.output_tokens}
    quality = result.quality
    assert (quality.pieces, quality.pieces_checked, quality.pieces_without_verb) == (
        own.pieces,
        own.pieces,
        own.pieces_without_verb,
    )
    assert quality.sentences == len(own.sentences) and quality.sentences_over_limit == 0
    assert quality.words == sum(count_words(s) for s in own.sentences) and quality.engine_seconds == 0


def test_every_gemini_sentence_is_a_piece_and_a_sample_of_them_is_checked(gemini):
    result = engines.rewrite(CHUNK, SETTINGS, gemini)

    with ENGINE_LOCK:  # the fake answers with the local engine's sentences
        assert result.sentences == local_engine.rewrite(SOURCE, limit=LIMIT, preserve_formatting=True).sentences
    written = [s for s in result.sentences if s]
    assert "" in result.sentences  # paragraph marks are kept but are not pieces
    assert result.api_calls == 1 and set(result.tokens_by_model) == {MODEL}
    quality = result.quality
    assert quality.pieces == quality.pieces_checked == len(written) > len(SOURCE)  # fewer than the sample: all checked
    assert quality.pieces_without_verb == local_engine.count_without_verb(written)
    assert 1 <= quality.pieces_without_verb < quality.pieces  # "CHAPITRE PREMIER" has no verb; most pieces have one
    assert quality.words == sum(count_words(s) for s in written) and quality.sentences_over_limit == 0

    sampled = engines.rewrite(CHUNK, SETTINGS, engines.GeminiEngine(config=gemini.config, verb_sample=2)).quality
    assert (sampled.pieces, sampled.pieces_checked) == (quality.pieces, 2)
    assert sampled.pieces_without_verb == local_engine.count_without_verb(engines.verb_sample(written, size=2))


def test_the_verb_sample_is_spread_over_the_chunk():
    assert engines.verb_sample(["a", "b", "c", "d", "e"], size=2) == ["a", "d"]
    assert engines.verb_sample(["a"], size=2) == ["a"]


def test_the_output_is_measured_not_assumed():
    figures = engines.measure_output(
        ["Un deux trois quatre cinq six sept huit neuf.", "Court.", ""],
        limit=LIMIT,
        pieces=2,
        checked=1,
        without_verb=1,
    )

    assert (figures.sentences, figures.sentences_over_limit, figures.words) == (3, 1, 10)
    assert (figures.pieces, figures.pieces_checked, figures.pieces_without_verb) == (2, 1, 1)
