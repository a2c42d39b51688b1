"""The local engine (SPEC §8): a hard word limit, no word lost or invented."""

from __future__ import annotations

import functools

import pytest

from jobs.pipeline import local_engine
from jobs.pipeline.local_engine import PARAGRAPH_MARK
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import count_words
from jobs.tests.test_pipeline_text import book_pages, whole

pytestmark = pytest.mark.first_pass

# The faithful split (rewrite=split): these cases hold it to no word added or lost.
rewrite = functools.partial(local_engine.rewrite, mode="split")


@functools.cache
def book_sentences() -> tuple[SourceSentence, ...]:
    return tuple(whole(book_pages()).sentences)


@functools.cache
def book_docs() -> tuple:
    """The book parsed once for every limit (rewrite parses the same way, then cuts each sentence)."""
    return tuple(local_engine.nlp().pipe([s.text for s in book_sentences()], batch_size=local_engine.BATCH_SIZE))


def words(texts) -> list[str]:
    return [word for text in texts for word in text.split()]


@pytest.mark.parametrize(
    ("text", "count"),
    [("– Oui, dit-il.", 2), ("« Viens ! »", 1), ("; : – « » ...", 0), ("En 1834, M. Dupont", 4), ("", 0)],
)
def test_count_words(text, count):
    assert count_words(text) == count


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (
            "M. Dupont est arrivé hier soir à la gare de Lyon avec sa femme et ses deux enfants.",
            ["M. Dupont est arrivé hier soir", "à la gare de Lyon", "avec sa femme et ses deux enfants."],
        ),
        (
            "– Je ne sais pas ce que vous voulez dire, répondit-il en regardant la fenêtre, car il avait peur.",
            ["– Je ne sais pas", "ce que vous voulez dire, répondit-il", "en regardant la fenêtre, car il avait peur."],
        ),
        (
            "Il attendit longtemps devant la porte fermée... puis il partit sans rien dire à personne.",
            ["Il attendit longtemps devant la porte fermée...", "puis il partit sans rien dire à personne."],
        ),
        (
            "Elle ouvrit la fenêtre ; le soleil entra dans la chambre et les oiseaux chantaient dans le jardin.",
            [
                "Elle ouvrit la fenêtre ;",
                "le soleil entra dans la chambre",
                "et les oiseaux chantaient dans le jardin.",
            ],
        ),
        (
            "Quand il eut fini sa lettre, il la relut deux fois et la jeta au feu sans hésiter.",
            ["Quand il eut fini sa lettre,", "il la relut deux fois", "et la jeta au feu sans hésiter."],
        ),
        ("– Oui, dit-il.", ["– Oui, dit-il."]),
    ],
)
def test_hand_made_cases(text, pieces):
    assert rewrite([SourceSentence(text)], limit=8).sentences == pieces


def test_short_sentences_and_headings_pass_unchanged():
    source = [
        SourceSentence("I -- REGINALD", heading=True, paragraph_start=True),
        SourceSentence("Il pleut.", paragraph_start=True),
        SourceSentence("– Non.", dialogue=True),
    ]
    assert rewrite(source).sentences == ["I -- REGINALD", "Il pleut.", "– Non."]
    marked = rewrite(source, preserve_formatting=True).sentences
    assert marked == [PARAGRAPH_MARK, "I -- REGINALD", PARAGRAPH_MARK, "Il pleut.", "– Non."]


def test_ignore_dialogue_drops_dashed_and_quoted_lines():
    source = [
        SourceSentence("– Tu viens ? demanda-t-il."),
        SourceSentence("Elle vint.", dialogue=True),
        SourceSentence("« Viens ! »"),
        SourceSentence("“Viens !”"),
        SourceSentence('"Viens donc."'),
        SourceSentence("Le soir tomba."),
        SourceSentence('Il lut "Le Cid" puis dormit.'),
    ]
    assert rewrite(source, ignore_dialogue=True).sentences == ["Le soir tomba.", 'Il lut "Le Cid" puis dormit.']
    assert len(rewrite(source).sentences) == 7


def test_min_length_merges_within_a_sentence_only():
    text = "Il lut la lettre de sa mère, puis celle de son père, longuement, et pleura."
    for min_length in (1, 2, 3, 4):
        pieces = rewrite([SourceSentence(text)], limit=5, min_length=min_length).sentences
        assert words(pieces) == text.split()
        assert all(count_words(p) <= 5 for p in pieces)
        assert all(count_words(p) >= min_length for p in pieces)
    assert rewrite([SourceSentence("Oui."), SourceSentence("Non.")], min_length=3).sentences == ["Oui.", "Non."]


def test_tokens_are_a_quarter_of_the_characters():
    result = rewrite([SourceSentence("abcde"), SourceSentence("fghij")])
    assert (result.input_tokens, result.output_tokens) == (3, 3)


def test_deterministic():
    text = "Le jeune homme, qui avait longtemps hésité devant la porte, entra enfin dans le salon où tout le monde l'attendait en silence."
    assert rewrite([SourceSentence(text)], limit=6).sentences == rewrite([SourceSentence(text)], limit=6).sentences


@pytest.mark.parametrize("limit", [5, 8, 12, 20])
def test_real_book_every_piece_within_the_limit_and_no_word_lost(limit):
    source = book_sentences()
    lines = [
        line
        for sentence, doc in zip(source, book_docs(), strict=True)
        for line in local_engine.rewrite_sentence(sentence, doc, limit=limit, min_length=2, mode="split")
    ]
    assert max(count_words(s) for s in lines) <= limit
    assert words(lines) == words(s.text for s in source)
    assert len(lines) > len(source)
    too_short = [s for s in lines if count_words(s) < 2]
    assert len(too_short) < 0.01 * len(lines)


def test_the_model_multiplies_with_numpy_and_parses_as_it_does_with_blis():
    """The engine's model is built on numpy's BLAS rather than thinc's default
    blis (three times slower here), and that changes no token's tag, morphology,
    lemma, head or relation on a thousand sentences of the book. Nor does its
    lemmatizer's word lists held as sets rather than lists (a scan each)."""
    import spacy

    model = local_engine.nlp()
    assert model.get_pipe("tok2vec").model.ops.use_blis is False
    assert all(
        isinstance(words, frozenset) for words in model.get_pipe("lemmatizer").lookups.get_table("lemma_index").values()
    )
    on_blis = spacy.load(local_engine.MODEL, exclude=["ner", "senter"])
    assert on_blis.get_pipe("tok2vec").model.ops.use_blis is True
    texts = [s.text for s in book_sentences()[:1000]]

    def annotations(nlp) -> list[tuple]:
        return [
            (token.pos_, str(token.morph), token.lemma_, token.head.i, token.dep_)
            for doc in nlp.pipe(texts, batch_size=local_engine.BATCH_SIZE)
            for token in doc
        ]

    assert annotations(model) == annotations(on_blis)
