"""A book's vocabulary: the lemmas of its content words (nouns, verbs,
adjectives, adverbs) and, apart, its proper names, counted from spaCy's
parse of the source sentences a chunk owns.

``count_lemmas(docs)`` is the counting, a pure function of parsed Docs. A
chunk stores what it counted (``chunk_vocabulary``): each lemma with its
count, the forms seen and the first sentence it appears in. The chunks own
disjoint sentences (SPEC §3), so the book's vocabulary is the sum of its
chunks' (``merge_vocabularies``), with the first sentence of the earliest
chunk. How common each lemma is in French in general comes from wordfreq's
French list (shipped inside the package, read offline): ``frequency_band``.

Plain Python: no Django here.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

CONTENT_POS = ("NOUN", "VERB", "ADJ", "ADV")
PROPER_NAME = "PROPN"
COUNTED_POS = (*CONTENT_POS, PROPER_NAME)

# Zipf values (log10 of a word's frequency per billion words) where the bands
# start: 5 and over is about the 1,000 commonest words of French, a
# learner's first ones; under 3, words met once in a few books.
BANDS = (("core", 5.0), ("common", 4.0), ("intermediate", 3.0), ("rare", float("-inf")))
# A lemma's usefulness weighs its count in the book by how far it is below
# the core band, up to this much (a word absent from the list, often a
# misread form, gets no more than a rare one).
MAX_WEIGHT = 3.0


@dataclass
class LemmaCount:
    lemma: str
    pos: str
    count: int = 0
    forms: Counter = field(default_factory=Counter)
    first: int = 0  # index of the first Doc it appears in
    # Occurrences capitalised at a sentence's start, where a name cannot be told
    # from a common word ("Philomène lut…" is often tagged a noun).
    opening: int = 0


def count_lemmas(docs: Iterable, *, lemma_of: Callable | None = None) -> list[LemmaCount]:
    """Every (lemma, part of speech) of the counted kinds in ``docs``, in
    order of first appearance. Content words count by their lower-case
    lemma (``lemma_of(token)``: by default the model's rule lemmatizer,
    which needs only the parts of speech, so Docs from a pipeline without
    a lemmatizer will do); a proper name is its own lemma, as written.
    Words in capitals (chapter titles, letters' headings) are left out:
    the model cannot tell their names from their nouns. A finite verb the
    small model tagged otherwise ("partirent" as a noun) counts as a verb."""
    lemma_of = lemma_of or rule_lemma
    counts: dict[tuple[str, str], LemmaCount] = {}
    for index, doc in enumerate(docs):
        for token in candidates(doc):
            if not counted_word(token.text):
                continue
            proper = is_name(token)
            pos = PROPER_NAME if proper else kind_of(token)
            if pos is None:
                continue
            lemma = token.text if proper else lemma_of(token).lower()
            entry = counts.get((lemma, pos))
            if entry is None:
                entry = counts[(lemma, pos)] = LemmaCount(lemma=lemma, pos=pos, first=index)
            entry.count += 1
            entry.forms[token.text if proper else token.lower_] += 1
            entry.opening += not proper and token.text[:1].isupper()
    return list(counts.values())


def candidates(doc) -> Iterable:
    """The tokens that may count, picked from the Doc's array of tags (a
    Token object costs more than the test: most tokens are not candidates)."""
    from spacy.attrs import POS

    wanted = _candidate_tags(doc.vocab)
    for i, tag in enumerate(doc.to_array([POS]).tolist()):
        if tag in wanted:
            yield doc[i]


@functools.cache
def _candidate_tags(vocab) -> frozenset[int]:
    from jobs.pipeline.local_engine import RETAGGABLE_POS

    return frozenset(vocab.strings[name] for name in {*COUNTED_POS, *RETAGGABLE_POS})


def kind_of(token) -> str | None:
    """The counted part of speech of a token that is no name, or None."""
    from jobs.pipeline import local_engine

    if token.pos_ in local_engine.RETAGGABLE_POS and token.pos_ != "VERB" and local_engine.is_finite_verb(token):
        token.pos_ = "VERB"  # lemmatised as the verb it is
    if token.pos_ == PROPER_NAME:
        return "NOUN"  # a "name" in lower case is the model's mistake for a noun ("sieur", "abbé")
    return token.pos_ if token.pos_ in CONTENT_POS else None


def rule_lemma(token) -> str:
    """The model's rule lemmatizer on one token (it caches by form and tag)."""
    return _lemmatizer().rule_lemmatize(token)[0]


def counted_word(text: str) -> bool:
    """A word, beginning with a letter ("-elle" of "dit-elle" is a pronoun
    the model sometimes takes for a noun), and not in capitals."""
    letters = [c for c in text if c.isalpha()]
    capitals = len(letters) > 1 and all(c.isupper() for c in letters)
    return text[:1].isalpha() and not capitals


SENTENCE_OPENERS = frozenset(".!?…:;«»“”\"'(–—―-")


def is_name(token) -> bool:
    """A proper name: tagged so and capitalised, or a capitalised word inside a sentence
    (French capitalises no common noun there; the small model often tags
    "Besançon" or "Rupt" as nouns)."""
    text = token.text
    if token.pos_ == PROPER_NAME:
        return text[:1].isupper()
    if not text[:1].isupper() or token.is_sent_start or token.i == 0:
        return False
    return token.nbor(-1).text[-1:] not in SENTENCE_OPENERS


def chunk_vocabulary(texts: Sequence[str], docs: Iterable) -> dict:
    """What a chunk stores: its lemmas, each with the index of its first
    sentence in ``sentences`` (only the sentences some lemma starts in)."""
    lemmas = count_lemmas(docs)
    firsts = sorted({entry.first for entry in lemmas})
    where = {index: position for position, index in enumerate(firsts)}
    return {
        "sentences": [texts[index] for index in firsts],
        "lemmas": [[e.lemma, e.pos, e.count, dict(e.forms), where[e.first], e.opening] for e in lemmas],
    }


@dataclass
class Lemma:
    """A lemma of the whole book."""

    lemma: str
    pos: str
    count: int
    forms: dict[str, int]
    first_sentence: str
    zipf: float = 0.0
    band: str = ""
    usefulness: float = 0.0

    def as_json(self) -> dict:
        return {
            "lemma": self.lemma,
            "pos": self.pos,
            "count": self.count,
            "forms": sorted(self.forms, key=lambda form: (-self.forms[form], form)),
            "first_sentence": self.first_sentence,
            "zipf": self.zipf,
            "band": self.band,
            "usefulness": self.usefulness,
        }


def merge_vocabularies(chunks: Iterable[dict]) -> list[Lemma]:
    """The book's lemmas from its chunks' vocabularies, given in book order,
    each rated against French at large. A "common word" seen only at the
    start of sentences, capitalised, that the book also has as a name is
    that name."""
    merged: dict[tuple[str, str], Lemma] = {}
    opening: Counter = Counter()
    for chunk in chunks:
        for lemma, pos, count, forms, first, starts in chunk.get("lemmas", []):
            opening[(lemma, pos)] += starts
            entry = merged.get((lemma, pos))
            if entry is None:
                merged[(lemma, pos)] = Lemma(lemma, pos, count, dict(forms), chunk["sentences"][first])
                continue
            entry.count += count
            for form, seen in forms.items():
                entry.forms[form] = entry.forms.get(form, 0) + seen
    names = {entry.lemma.lower(): entry for entry in merged.values() if entry.pos == PROPER_NAME}
    for key, entry in list(merged.items()):
        name = names.get(entry.lemma) if entry.pos != PROPER_NAME else None
        if name is not None and opening[key] == entry.count:
            name.count += entry.count
            name.forms[name.lemma] = name.forms.get(name.lemma, 0) + entry.count
            del merged[key]
    for entry in merged.values():
        rate(entry)
    return list(merged.values())


def rate(entry: Lemma) -> None:
    entry.zipf = zipf(entry.lemma)
    entry.band = frequency_band(entry.zipf)
    entry.usefulness = round(entry.count * min(MAX_WEIGHT, max(0.0, BANDS[0][1] - entry.zipf)), 2)


def frequency_band(value: float) -> str:
    return next(name for name, low in BANDS if value >= low)


def zipf(word: str) -> float:
    return _zipf_frequency()(word, "fr")


@functools.cache
def _zipf_frequency():
    # Loaded on first use: wordfreq reads its French list (a few MB) then.
    from wordfreq import zipf_frequency

    return zipf_frequency


def load() -> None:
    """Ready the lemmatizer (the engine's model, loaded once per process) before the first chunk."""
    _lemmatizer()


@functools.cache
def _lemmatizer():
    from jobs.pipeline import local_engine

    # The engine's own pipeline's lemmatizer, not a second load of the model:
    # that costs each process a second and a half of CPU and its memory, for
    # the same tables. rule_lemmatize reads only the token's form and part of
    # speech, so the retagged verbs above are lemmatised as verbs.
    lemmatizer = local_engine.nlp().get_pipe("lemmatizer")
    # Its word lists are sets (local_engine.index_words_as_sets), so a book's
    # first pass over its words is not a scan of them per word.
    return lemmatizer


SORTS = {
    # Frequent in the book, not among the commonest words of French, first.
    "usefulness": lambda e: (-e.usefulness, -e.count, e.lemma),
    "count": lambda e: (-e.count, e.lemma),
    "lemma": lambda e: (e.lemma.lower(), e.pos),
}


def select(lemmas: Iterable[Lemma], *, pos: Sequence[str], min_count: int, sort: str) -> list[Lemma]:
    """The lemmas of the parts of speech ``pos`` seen at least ``min_count`` times, in ``sort`` order."""
    chosen = [entry for entry in lemmas if entry.pos in pos and entry.count >= min_count]
    return sorted(chosen, key=SORTS[sort])
