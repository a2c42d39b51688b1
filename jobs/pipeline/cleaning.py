"""From pypdf's raw page text to clean body lines, and how two lines join.

Everything here is deterministic and local, which is what lets chunks agree
on sentence ownership (see ``text.py``): a page is cleaned from itself and
its neighbours within ``WINDOW`` pages, and whether two lines join (space,
repaired hyphen, paragraph break) depends only on those two lines and the
typical line width around them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from jobs.pipeline import lexicon

# Pages on either side compared to find running headers and footers, and to
# measure the line width. Fixed, so that a page is cleaned the same way
# whichever chunk reads it.
WINDOW = 2
# A line ending a sentence ends its paragraph when the next line's first word
# would have fitted on it: full lines vary by a few characters (proportional
# font), so "fits" means within this share of a full line's length.
FIT_RATIO = 0.95

CHARACTER_FIXES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\t": " ",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
        "\u2019": "'",
        "\r": "\n",
        "\f": "\n",
    }
)
DIALOGUE_DASH = re.compile(r"^[–—―]|^--?(?=\s)")
PAGE_NUMBER = re.compile(r"^[-–—(\[\s]*(?:\d{1,4}|[ivxlcdm]{1,7}|[IVXLCDM]{1,7})[\s)\]\-–—.]*$")
SENTENCE_END = re.compile(r"[.!?…:»]\W*$")
# pypdf puts a space before the punctuation that follows an italic word
# ("rupes . Les"); French typography has none before , and . (it does before
# ; : ! ? and inside « », which stay). "..." after a space is left alone.
SPACE_BEFORE_POINT = re.compile(r"(?<=[\w)»]) +(?=[.,](?!\.))")
# The same italics glitch after an elided article: "l' incroyable".
SPACE_AFTER_ELISION = re.compile(r"(?<![\w'])((?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)') +(?=\w)", re.IGNORECASE)
NO_SPACE_BEFORE = re.compile(r"[,)]|\.(?!\.)")
HYPHENATED_END = re.compile(r"([\w'-]*\w)-$")
WORD_START = re.compile(r"^[\w'-]*\w")
WORD = re.compile(r"\w+(?:-\w+)*")

# Second halves that make a real hyphen: verb-subject inversion, -ci/-là, "-t-".
CLITICS = frozenset(
    "je tu il ils elle elles on nous vous le la les lui leur leurs moi toi y en ce ci là t même mêmes à".split()
)
# An elided object pronoun after an imperative (va-t'en, donne-m'en): French
# has no word with "m'" or "t'" right after a syllable, so never a soft break.
ELIDED_PRONOUNS = ("m'", "t'")
# First halves of compounds the lexicon may not know ("très-bien" in Balzac).
PREFIXES = frozenset(
    "très grand grande grands grandes petit petite petits petites demi mi semi sous vice arrière avant contre entre non "
    "ex belle beau beaux porte garde chef haut haute basse bas nouveau nouvelle arc après quasi sur pseudo anti "
    "auto néo franc franche mal bien saint sainte".split()
)

# Both halves known words, the joined word not: a compound (vicaire-général).
# Not for shorter halves, which are often syllables that happen to be words.
MIN_COMPOUND_PART = 5

# Mark pages in the spelling before the 1878 Academy dictionary, which wrote
# "très-bien" and kept old compounds ("long-temps", "anti-chambre") where
# later texts join them, or after it; how nearby pages write "très" tells.
# With no sign either way, a hyphen the lexicon knows is kept.
OLD_SPELLING, MODERN_SPELLING = "très-", "très"

LINKS = frozenset("de du des d la le les l à au aux en sur sous".split())


@dataclass(frozen=True)
class PageLines:
    headings: list[str]  # a chapter title at the top of the page, one entry per title line
    body: list[str]


def normalise(raw: str) -> list[str]:
    """Ligatures and odd spaces fixed, one entry per non-empty line."""
    text = raw.translate(CHARACTER_FIXES)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return [SPACE_AFTER_ELISION.sub(r"\1", SPACE_BEFORE_POINT.sub("", line)) for line in lines if line]


def clean_page(normalised: Mapping[int, list[str]], number: int, page_count: int) -> PageLines:
    """Page ``number`` without running headers, footers and page numbers.

    ``normalised`` holds the normalised lines of at least the pages within
    ``WINDOW`` of ``number`` (clipped to the book).
    """
    lines = list(normalised[number])
    neighbours = [normalised[p] for p in window(number, page_count) if p != number]
    tops = {repetition_key(line) for page in neighbours for line in page[:2]}
    bottoms = {repetition_key(line) for page in neighbours for line in page[-2:]}
    for _ in range(2):
        if lines and (PAGE_NUMBER.match(lines[0]) or repetition_key(lines[0]) in tops):
            lines.pop(0)
    for _ in range(2):
        if lines and (PAGE_NUMBER.match(lines[-1]) or repetition_key(lines[-1]) in bottoms):
            lines.pop()
    headings: list[str] = []
    while lines and is_heading_line(lines[0]):
        headings.append(lines.pop(0))
    return PageLines(headings=headings, body=lines)


def window(number: int, page_count: int) -> range:
    return range(max(1, number - WINDOW), min(page_count, number + WINDOW) + 1)


def repetition_key(line: str) -> str:
    """Running headers repeat up to their page numbers."""
    return re.sub(r"\d+", "#", line.casefold())


def is_heading_line(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters) and not DIALOGUE_DASH.match(line)


def line_width(normalised: Mapping[int, list[str]], number: int, page_count: int) -> float:
    """A full line's length around page ``number`` (the 90th percentile)."""
    lengths = sorted(len(line) for p in window(number, page_count) for line in normalised[p])
    return float(lengths[int(len(lengths) * 0.9)]) if lengths else 0.0


def ends_paragraph(previous: str, following: str, width: float) -> bool:
    """A dialogue line starts a paragraph; so does a line after one that ends
    a sentence and had room left for the next line's first word (justified
    text only breaks a line early at the end of a paragraph)."""
    if DIALOGUE_DASH.match(following):
        return True
    if not SENTENCE_END.search(previous):
        return False
    first_word = following.split(" ", 1)[0]
    return len(previous) + 1 + len(first_word) <= FIT_RATIO * width


def nearby_words(normalised: Mapping[int, list[str]], number: int, page_count: int) -> frozenset[str]:
    """The words written whole (not broken at a line end) on the pages
    within ``WINDOW`` of ``number``, lower-cased: how the book itself spells
    a word, which settles a hyphen the lexicon cannot (Balzac writes
    "long-temps", Leroux "longtemps")."""
    words: set[str] = set()
    old_style = 0
    for page in window(number, page_count):
        for line in normalised[page]:
            lowered = line.lower()
            found = WORD.findall(lowered)
            words.update(found[1:-1] if line.endswith("-") else found[1:])  # the ends may be halves
            if found and not line.endswith("-"):
                words.add(found[-1])
            old_style += lowered.count("très-") - lowered.count("très ")
    if old_style:
        words.add(OLD_SPELLING if old_style > 0 else MODERN_SPELLING)
    return frozenset(words)


def join_hyphenated(
    previous: str, following: str, fix_hyphenation: bool, nearby: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """(previous line as kept, separator) when ``previous`` ends with a
    word broken by a hyphen and ``following`` goes on with it; else None."""
    left = HYPHENATED_END.search(previous)
    right = WORD_START.match(following)
    if not left or not right:
        return None
    if not fix_hyphenation or keeps_hyphen(left.group(1), right.group(0), nearby):
        return previous, ""
    return previous[:-1], ""


def keeps_hyphen(left: str, right: str, nearby: frozenset[str] = frozenset()) -> bool:
    """Is ``left-right`` (split at a line end) a real hyphenated word?

    In order: a capital after the hyphen (Saint-Martin), "-t-" or an elided
    pronoun (va-t'en); an elided word broken before its apostrophe
    (jus-qu'au); the form the nearby pages write whole; the form the
    lexicon knows (peut-être, de-puis), and where it knows both, the
    spelling of the nearby pages; a clitic after the hyphen (dit-il,
    soir-là); a compound prefix before it (très-bien); two known words
    (vicaire-général).
    """
    left_core = left.rsplit("'", 1)[-1]
    left_last = left_core.rsplit("-", 1)[-1]
    right_first = right.split("-", 1)[0]
    shouting = left_last.isupper() and right_first.isupper()  # a title: "l'AMBI-TIEUX"
    if (right_first[:1].isupper() and not shouting) or "t" in (right_first.lower(), left_last.lower()):
        return True
    if right_first[:2].lower() in ELIDED_PRONOUNS:
        return True  # before the elided-word rule: "vat" is in the lexicon
    if "'" in right_first and "-" not in left_core and lexicon.is_word(left_last + right_first.split("'", 1)[0]):
        # An elided word broken before its apostrophe: jus-qu'au, quel-qu'un;
        # not inside a compound, where "de-" + "l'Empereur" is not "del'".
        return False
    joined_nearby, hyphenated_nearby = (
        f"{left_last}{right_first}".lower() in nearby,
        f"{left_last}-{right_first}".lower() in nearby,
    )
    if joined_nearby != hyphenated_nearby:
        return hyphenated_nearby
    compound = lexicon.is_word(f"{left_core}-{right}") or lexicon.is_word(f"{left_last}-{right_first}")
    joined = lexicon.is_word(left_last + right_first)
    if compound and joined:
        return MODERN_SPELLING not in nearby  # long-temps or longtemps, anti-chambre or antichambre
    if compound or joined:
        return compound
    if right_first.lower() in CLITICS or left_last.lower() in PREFIXES:
        return True
    if "-" in right or "'" in right_first or ("-" in left_core and left_last.lower() in LINKS):
        return True  # inside a longer compound: Cage-de-fer, Val-d'Enfer, l'Eau-de-l'Empereur
    # Two long known words; not for names, where syllables are often words (Philo-mène).
    common = left_last.islower() and min(len(left_last), len(right_first)) >= MIN_COMPOUND_PART
    return common and lexicon.is_word(left_last) and lexicon.is_word(right_first)


def line_separator(following: str) -> str:
    """The space between two joined lines, none before a comma or full stop."""
    return "" if NO_SPACE_BEFORE.match(following) else " "
