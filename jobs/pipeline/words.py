"""What a word is (SPEC §8): a whitespace-separated token with a letter or
digit. The word limit, the engines' checks and every quality figure count
words this one way."""

from __future__ import annotations

import re

HAS_WORD = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Whitespace-separated tokens with at least one letter or digit."""
    return sum(1 for token in text.split() if HAS_WORD.search(token))
