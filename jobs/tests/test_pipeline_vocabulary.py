"""jobs.pipeline.vocabulary: counting lemmas from spaCy's parse, merging
chunks, rating against French at large."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from jobs.pipeline import local_engine, vocabulary
from jobs.pipeline.engines import parse  # the engine's own parse, which the chunk's counting reads
from jobs.pipeline.vocabulary import (
    CONTENT_POS,
    chunk_vocabulary,
    count_lemmas,
    frequency_band,
    merge_vocabularies,
)

pytestmark = pytest.mark.first_pass

TEXTS = [
    "Les chevaux couraient dans les prés verts de Besançon.",
    "Philomène aimait les chevaux, et elle aimait Albert.",
    "L'AMBITIEUX PAR AMOUR",
    "Elle marchait vite vers la maison de monsieur de Watteville.",
]


@functools.cache
def full_pipeline():
    import spacy

    return spacy.load(local_engine.MODEL)


def test_lemmas_are_counted_with_their_forms_and_first_sentence():
    counted = {(e.lemma, e.pos): e for e in count_lemmas(parse(TEXTS))}
    assert counted[("cheval", "NOUN")].count == 2 and dict(counted[("cheval", "NOUN")].forms) == {"chevaux": 2}
    assert counted[("aimer", "VERB")].count == 2 and counted[("aimer", "VERB")].first == 1
    assert counted[("vert", "ADJ")].count == 1 and counted[("vite", "ADV")].first == 3
    assert counted[("maison", "NOUN")].first == 3
    # Function words are not counted, nor words in capitals (a title).
    assert not {lemma for lemma, _ in counted} & {"le", "de", "et", "dans", "elle", "ambitieux", "AMBITIEUX", "amour"}


def test_proper_names_are_apart_even_where_the_model_tags_them_as_nouns():
    counted = {(e.lemma, e.pos) for e in count_lemmas(parse(TEXTS))}
    assert {("Besançon", "PROPN"), ("Philomène", "PROPN"), ("Albert", "PROPN"), ("Watteville", "PROPN")} <= counted
    assert not {lemma for lemma, pos in counted if pos != "PROPN"} & {"besançon", "philomène", "albert", "watteville"}
    assert ("Les", "PROPN") not in counted and ("Elle", "PROPN") not in counted  # capitalised at a sentence's start


def test_the_counting_gives_the_lemmas_of_the_whole_pipeline_and_counts_mistagged_verbs_as_verbs():
    # The vocabulary lemmatises with the model's rule lemmatizer on the tags: the lemmas must be
    # the whole pipeline's, except for finite verbs a model takes for nouns, which count as verbs.
    texts = ["Les chevaux couraient dans les prés verts.", "Nous avions mangé des pommes rouges hier soir."]
    ours = Counter({(e.lemma, e.pos): e.count for e in count_lemmas(parse(texts))})
    theirs = Counter(
        (t.lemma_.lower(), t.pos_) for doc in full_pipeline().pipe(texts) for t in doc if t.pos_ in CONTENT_POS
    )
    assert ours[("courir", "VERB")] == 1
    theirs[("courir", "VERB")], theirs[("couraient", "NOUN")] = 1, 0
    assert ours == +theirs and len(ours) >= 7


def test_chunks_merge_into_the_book_counts_with_the_earliest_first_sentence():
    first, second = TEXTS[:2], TEXTS[2:] + ["Les chevaux dormaient."]
    merged = {(e.lemma, e.pos): e for e in merge_vocabularies([chunk_vocabulary(t, parse(t)) for t in (first, second)])}
    whole = {(e.lemma, e.pos): e.count for e in count_lemmas(parse(first + second))}
    assert {key: e.count for key, e in merged.items()} == whole
    horse = merged[("cheval", "NOUN")]
    assert horse.count == 3 and horse.first_sentence == TEXTS[0] and horse.forms == {"chevaux": 3}
    assert merged[("maison", "NOUN")].first_sentence == TEXTS[3]


def test_bands_and_usefulness_follow_the_french_frequency_list():
    assert vocabulary.zipf("maison") > 5 > vocabulary.zipf("chevelure") > 3 and vocabulary.zipf("zzzqx") == 0
    assert [frequency_band(v) for v in (6.2, 5.0, 4.2, 3.1, 2.0, 0)] == [
        "core",
        "core",
        "common",
        "intermediate",
        "rare",
        "rare",
    ]
    lemmas = {e.lemma: e for e in merge_vocabularies([chunk_vocabulary(TEXTS, parse(TEXTS))])}
    assert lemmas["maison"].band == "core" and lemmas["maison"].usefulness == 0  # among the commonest words
    assert lemmas["cheval"].usefulness == round(2 * (5 - lemmas["cheval"].zipf), 2) > 0
    ordered = vocabulary.select(lemmas.values(), pos=["NOUN"], min_count=1, sort="usefulness")
    assert [e.usefulness for e in ordered] == sorted((e.usefulness for e in ordered), reverse=True)
    assert [e.lemma for e in vocabulary.select(lemmas.values(), pos=["NOUN"], min_count=2, sort="count")] == ["cheval"]


def test_a_name_the_model_took_for_a_noun_at_a_sentence_start_joins_the_name():
    texts = ["Philomène regardait le jardin.", "Le soir, il vit Philomène près du mur.", "Rose aimait les roses."]
    merged = {(e.lemma, e.pos): e for e in merge_vocabularies([chunk_vocabulary(texts, parse(texts))])}
    assert merged[("Philomène", "PROPN")].count == 2 and ("philomène", "NOUN") not in merged
    # "Rose" opening a sentence is a name or the noun, as the model tags it; "roses" is the noun.
    assert merged[("rose", "NOUN")].forms["roses"] == 1
    assert not [key for key in merged if key[0].startswith("-")]
