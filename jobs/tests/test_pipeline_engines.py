"""One entry point for both engines (jobs.pipeline.engines): the same
sentences as each engine's own rewrite, one result type, the figures
measured on the output."""

from __future__ import annotations

import threading

import pytest

from devtools.fakegemini import FakeGemini, cut_answer
from jobs.pipeline import engines, local_engine, quality
from jobs.pipeline.gemini_calls import GeminiConfig
from jobs.pipeline.text import ChunkSource
from jobs.pipeline.words import count_words
from jobs.tests.test_pipeline_gemini_engine import KEY, LIMIT, SOURCE
from jobs.types import ProcessingSettings

pytestmark = pytest.mark.first_pass

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


def judged(pairs):
    return quality.judge(([engines.parse([source])[0]], engines.parse(lines)) for source, lines in pairs)


def test_the_local_engine_gives_its_own_sentences_and_judges_each_against_its_source():
    result = engines.rewrite(CHUNK, SETTINGS, engines.LOCAL)

    own = local_engine.rewrite(SOURCE, limit=LIMIT, min_length=2, preserve_formatting=True)
    assert result.sentences == own.sentences
    assert (result.input_tokens, result.output_tokens, result.api_calls) == (own.input_tokens, own.output_tokens, 0)
    assert result.tokens_by_model == {"local": own.input_tokens + own.output_tokens}
    figures = result.quality
    expected = judged(own.groups)
    assert {name: getattr(figures, name) for name in vars(expected)} == vars(expected)
    assert figures.source_sentences == len(SOURCE) and figures.lines_judged == len([s for s in own.sentences if s])
    assert 0 < figures.complete_lines <= figures.lines_judged and figures.kept_content > 0
    assert figures.sentences == len(own.sentences) and figures.sentences_over_limit == 0
    assert figures.words == sum(count_words(s) for s in own.sentences) and figures.engine_seconds == 0
    # Each line names the source sentence it was written from; a paragraph mark names none.
    assert len(result.sources) == len(result.sentences)
    assert {source for source, line in zip(result.sources, result.sentences, strict=True) if line} == {
        s.text for s in SOURCE
    }
    assert all(source == "" for source, line in zip(result.sources, result.sentences, strict=True) if not line)


def test_every_gemini_line_is_judged_and_its_content_compared_with_the_chunk(gemini):
    result = engines.rewrite(CHUNK, SETTINGS, gemini)

    assert result.sentences == cut_answer(SOURCE, limit=LIMIT, preserve_formatting=True)  # the fake's answer
    written = [s for s in result.sentences if s]
    assert "" in result.sentences  # paragraph marks are kept but are not lines
    assert result.api_calls == 1 and set(result.tokens_by_model) == {MODEL}
    figures = result.quality
    expected = quality.judge([(engines.parse([s.text for s in SOURCE]), engines.parse(written))])
    assert {name: getattr(figures, name) for name in vars(expected)} == vars(expected)
    assert figures.lines_judged == len(written) > len(SOURCE) == figures.source_sentences
    assert figures.words == sum(count_words(s) for s in written) and figures.sentences_over_limit == 0
    assert result.sources == ["" for _ in result.sentences]


def test_the_output_is_measured_not_assumed():
    lines = ["Un deux trois quatre cinq six sept huit neuf.", "Il dort."]
    figures = engines.measure_output(
        [*lines, ""], limit=LIMIT, groups=[(engines.parse(["Il dort."]), engines.parse(lines))]
    )

    assert (figures.sentences, figures.sentences_over_limit, figures.words) == (3, 1, 11)
    assert (figures.lines_judged, figures.complete_lines, figures.source_sentences) == (2, 1, 1)
    assert (figures.complete_share, figures.source_complete_share) == (0.5, 1.0)


def test_gemini_lines_are_parsed_once_and_judged_as_if_parsed_afresh(gemini, monkeypatch):
    # The fragment check parses lines, the judge reads them again; a line that
    # is a source sentence kept as it is reads the source's parse, unless the
    # fragment check read it while the source's parse was still running.
    engine = engines.GeminiEngine(config=GeminiConfig(**{**vars(gemini.config), "repair_fragments": True}), sections=2)
    pipeline = local_engine.nlp()
    sent: list[str] = []

    class Counting:
        def pipe(self, texts, **options):
            texts = list(texts)
            name = threading.current_thread().name
            if name == "MainThread" or name.startswith(("gemini-section", "source-parse")):  # not the fake's own
                sent.extend(texts)
            return pipeline.pipe(texts, **options)

    monkeypatch.setattr(local_engine, "nlp", lambda: Counting())
    result = engines.rewrite(CHUNK, SETTINGS, engine)
    monkeypatch.undo()

    written = [s for s in result.sentences if s]
    sources = {s.text for s in SOURCE}
    twice = {text for text in sent if sent.count(text) > 1}
    assert twice <= set(written) & sources and all(sent.count(text) == 2 for text in twice)
    assert set(written) | sources >= set(sent)
    expected = quality.judge([(engines.parse([s.text for s in SOURCE]), engines.parse(written))])
    assert {name: getattr(result.quality, name) for name in vars(expected)} == vars(expected)


def test_the_source_is_parsed_while_the_calls_are_out(gemini, monkeypatch):
    """The judge's parse of the chunk's source (a second of CPU on a 50-page
    chunk) runs while Gemini writes, not after its last answer."""
    from jobs.pipeline import gemini_engine

    source_parsed = threading.Event()
    parse_alone, rewrite = local_engine.parse_alone, gemini_engine.rewrite

    def parsing(texts, parsed):
        docs = parse_alone(texts, parsed)
        if list(texts) == [s.text for s in SOURCE]:
            source_parsed.set()
        return docs

    seen_during_the_calls = []

    def calling(*args, **kwargs):
        seen_during_the_calls.append(source_parsed.wait(timeout=10))
        return rewrite(*args, **kwargs)

    monkeypatch.setattr(local_engine, "parse_alone", parsing)
    monkeypatch.setattr(gemini_engine, "rewrite", calling)
    result = engines.rewrite(CHUNK, SETTINGS, gemini)

    assert seen_during_the_calls == [True]
    assert result.source_docs and [doc.text for doc in result.source_docs] == [s.text for s in SOURCE]
