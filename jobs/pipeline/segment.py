"""Split a French paragraph into sentences with local rules.

A boundary is decided from a few characters around it (the word before a
full stop, the character after), never from earlier decisions, so a
paragraph always splits the same way whatever surrounds it.
"""

from __future__ import annotations

import re

# Words that take a full stop without ending a sentence. Single capital letters
# (initials: "J. Dupont") are handled by rule. Not "Cie" nor "etc.": they close
# what they end ("Keller et Cie."), so a capital after their stop starts a sentence.
ABBREVIATIONS = frozenset(
    "M MM Mme Mmes Mlle Mlles Mgr Me Mes Dr Drs St Ste Sts Stes Pr Vve "
    "av apr cf chap env ex fig ibid no nos p pp réf sq suiv vs "
    "Av Cf Chap Fig No Nos P Vol J.-C N.-D c.-à-d".split()
)
# "J.-C." in a date (753 av. J.-C.) closes it, like "etc.": a capital after
# its stop starts a sentence. Elsewhere it is initials (J.-C. Martin).
ERA = re.compile(r"(?:^|\s)(?:av\.|apr\.|avant|après) J\.-C$")
CANDIDATE = re.compile(r"(?:\.{2,}|…|[.!?])+")
# What may close a sentence after its final punctuation: guillemets, quotes, brackets.
CLOSERS = re.compile(r"(?:\s*[»”\"')\]])*")
WORD_BEFORE = re.compile(r"([\w.\-]+)$")
# A sovereign's numeral written as one letter ("Charles X."), which an initial
# is not: in French an initial comes before a name, not after a first name.
ROMAN_AFTER_NAME = re.compile(r"(?:^|\s)([A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)*) [IVX]$")
# Characters before a full stop that decide an abbreviation: the word and
# the one before it, taken from the paragraph (not the sentence so far, which
# would depend on earlier decisions) within a fixed window to stay linear.
LOOK_BEHIND = 64
# After a boundary the next sentence starts with a capital, a digit, an opening
# quote or a dialogue dash. A lower-case word means "Eh ! bien": no split.
NEXT_START = re.compile(r"\s+(?=[«“\"(\[–—]|[^\W\d_]|\d)")
FIRST_AFTER = re.compile(r"\s*(\S)")


def split_sentences(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``paragraph``, stripped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in CANDIDATE.finditer(paragraph):
        end = CLOSERS.match(paragraph, match.end()).end()
        following = NEXT_START.match(paragraph, end)
        if not following or not starts_sentence(paragraph, following.end()):
            continue
        if not any(c.isalnum() for c in paragraph[start : match.start()]):
            continue  # "– ... L'arrêt": the dots open the sentence
        if match.group() == "." and is_abbreviation(paragraph[max(0, match.start() - LOOK_BEHIND) : match.start()]):
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
    if char in '«“"([–—':
        # A dash before a lower-case word closes an incise ("Il entra – quelle
        # audace ! – et s'assit."); a reply starts with a capital.
        after = FIRST_AFTER.match(paragraph, index + 1)
        return bool(after) and not after.group(1).islower()
    return True  # a digit


def is_abbreviation(before: str) -> bool:
    found = WORD_BEFORE.search(before)
    if not found:
        return False
    word = found.group(1)
    if ERA.search(before):
        return False
    # The last part of a compound initial: "J.-J" is "J", as "J.-C" is "C".
    last = re.split(r"[.-]", word)[-1] if "." in word and not word.endswith(".") else word
    if word in ABBREVIATIONS or last in ABBREVIATIONS:
        return True
    sovereign = ROMAN_AFTER_NAME.search(before)
    if sovereign and sovereign.group(1) not in ABBREVIATIONS:
        return False
    return len(last) == 1 and last.isupper()  # an initial
