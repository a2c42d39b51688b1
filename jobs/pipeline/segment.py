"""Split a French paragraph into sentences with local rules.

A boundary is decided from a few characters around it (the word before a
full stop, the character after), never from earlier decisions, so a
paragraph always splits the same way whatever surrounds it.
"""

from __future__ import annotations

import re

# Words that take a full stop without ending a sentence. Single capital letters
# (initials: "J. Dupont") are handled by rule.
ABBREVIATIONS = frozenset(
    "M MM Mme Mmes Mlle Mlles Mgr Me Mes Dr Drs St Ste Sts Stes Pr Cie Vve "
    "av apr cf chap env ex fig ibid no nos p pp réf sq suiv vs "
    "Av Cf Chap Fig No Nos P Vol J.-C N.-D".split()
)
CANDIDATE = re.compile(r"(?:\.{2,}|…|[.!?])+")
# What may close a sentence after its final punctuation: guillemets, quotes, brackets.
CLOSERS = re.compile(r"(?:\s*[»”\"')\]])*")
WORD_BEFORE = re.compile(r"([\w.\-]+)$")
# After a boundary the next sentence starts with a capital, a digit, an opening
# quote or a dialogue dash. A lower-case word means "Eh ! bien": no split.
NEXT_START = re.compile(r"\s+(?=[«“\"(\[–—]|[^\W\d_]|\d)")


def split_sentences(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``paragraph``, stripped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in CANDIDATE.finditer(paragraph):
        end = CLOSERS.match(paragraph, match.end()).end()
        following = NEXT_START.match(paragraph, end)
        if not following or not starts_sentence(paragraph, following.end()):
            continue
        if not any(c.isalnum() for c in paragraph[start:match.start()]):
            continue  # "– ... L'arrêt": the dots open the sentence
        if match.group() == "." and is_abbreviation(paragraph[start:match.start()]):
            continue
        spans.append((start, end))
        start = following.end()
    if any(c.isalnum() for c in paragraph[start:]) or not spans:
        spans.append((start, len(paragraph.rstrip())))
    elif spans:
        spans[-1] = (spans[-1][0], len(paragraph.rstrip()))
    return [(a, b) for a, b in spans if b > a]


def starts_sentence(paragraph: str, index: int) -> bool:
    char = paragraph[index]
    if char.isalpha():
        return char.isupper()
    if char in "«“\"([":
        rest = paragraph[index + 1:].lstrip()
        return bool(rest) and not rest[0].islower()
    return True  # a digit or a dialogue dash


def is_abbreviation(before: str) -> bool:
    found = WORD_BEFORE.search(before)
    if not found:
        return False
    word = found.group(1)
    last = word.rsplit(".", 1)[-1] if "." in word and not word.endswith(".") else word
    if word in ABBREVIATIONS or last in ABBREVIATIONS:
        return True
    return len(last) == 1 and last.isupper()  # an initial
