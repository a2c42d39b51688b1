"""The local engine: source sentences → sentences of at most ``limit`` words.

A sentence within the limit is kept as it is. A longer one is cut between
its own whitespace-separated tokens (so no word is lost, changed or added,
and punctuation stays with the word before it) at the cheapest set of cut
points, found by dynamic programming over spaCy's dependency parse:

* cut costs: after ``;`` ``:`` (or ``!``/``?`` inside a sentence) < a clause
  boundary (either edge of a subordinate, relative or coordinated clause) <
  after a comma < before a preposition or conjunction < anywhere else;
* piece costs: every piece costs a little (fewer pieces are better), more if
  it is far from the limit (balanced pieces), has no finite verb, or has
  fewer than ``min_length`` words.

Any word boundary is an allowed cut, so the limit always holds.
``min_length`` rule: a piece shorter than ``min_length`` words is merged
into the shorter neighbouring piece *of the same sentence* when the result
stays within the limit, otherwise kept. Pieces are never merged across
source sentences: that would make the output depend on where chunks start,
and glue two speakers' lines together. A source sentence that is already
short ("– Oui.") stays as it is.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from jobs.pipeline import lexicon, simplify
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import HAS_WORD, count_words

MODEL = "fr_core_news_md"
BATCH_SIZE = 64
# Blank item that marks a paragraph start when formatting is preserved.
PARAGRAPH_MARK = ""

# Tuned on the shared novels with ``bench/text_quality.py`` (docs/benchmarks.md):
# a cut inside a phrase costs more than an extra piece, because "vous ne savez |
# pas comment" reads worse to a learner than one more short sentence.
CUT_COST = {4: 0.0, 3: 0.5, 2: 1.0, 1: 2.5, 0: 9.0}
PIECE_COST = 2.0
IMBALANCE_COST = 3.0
NO_VERB_COST = 2.5
TOO_SHORT_COST = 20.0
CLAUSE_DEPS = frozenset({"advcl", "ccomp", "csubj", "acl", "acl:relcl", "parataxis", "conj"})
PHRASE_POS = frozenset({"ADP", "CCONJ", "SCONJ"})
HANGING_POS = frozenset({"DET", "ADP", "CCONJ", "SCONJ"})
RETAGGABLE_POS = frozenset({"NOUN", "ADJ", "PROPN", "ADV", "X", "NUM", "INTJ"})
DANGLING_COST = 6.0
NEGATIONS = frozenset({"pas", "point", "plus", "jamais", "guère"})
ANTECEDENTS = frozenset({"ce", "celui", "celle", "ceux", "celles"})
OPENING = re.compile(r"^[«“\"(\[–—―-]+$")
QUOTES = {"«": "»", "“": "”", '"': '"'}
DASH_START = re.compile(r"^\s*(?:[–—―]|--?\s)")


@dataclass(frozen=True)
class EngineResult:
    sentences: list[str]
    input_tokens: int
    output_tokens: int
    # Each kept source sentence with the lines written from it, in order
    # (paragraph marks left out), and its parse: the judge reads both.
    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    docs: list = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # parallel to sentences: the source sentence of each


def rewrite(
    sentences: Sequence[SourceSentence],
    *,
    limit: int = 8,
    min_length: int = 2,
    ignore_dialogue: bool = False,
    preserve_formatting: bool = False,
    mode: str = "simplify",
) -> EngineResult:
    """``mode`` "simplify" rewrites each long sentence into complete short
    ones (``simplify``); "split" cuts it, adding and losing no word."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    kept = [s for s in sentences if not (ignore_dialogue and is_dialogue(s))]
    # Every sentence is parsed: the judge compares each with its lines.
    docs = list(nlp().pipe([s.text for s in kept], batch_size=BATCH_SIZE)) if kept else []
    output: list[str] = []
    sources: list[str] = []
    groups: list[tuple[str, list[str]]] = []
    for sentence, doc in zip(kept, docs, strict=True):
        if preserve_formatting and (sentence.paragraph_start or sentence.heading):
            output.append(PARAGRAPH_MARK)
            sources.append("")
        lines = rewrite_sentence(sentence, doc, limit=limit, min_length=min_length, mode=mode)
        output.extend(lines)
        sources.extend(sentence.text for _ in lines)
        groups.append((sentence.text, lines))
    return EngineResult(
        sentences=output,
        input_tokens=math.ceil(sum(len(s.text) for s in sentences) / 4),
        output_tokens=math.ceil(sum(len(text) for text in output) / 4),
        groups=groups,
        docs=docs,
        sources=sources,
    )


def rewrite_sentence(sentence: SourceSentence, doc, *, limit: int, min_length: int, mode: str) -> list[str]:
    if count_words(sentence.text) <= limit:
        return [sentence.text]
    if mode == "simplify" and not sentence.heading:
        return simplify.Sentence(doc).simplify(limit)
    # A heading is cut as it is: a title is no clause to repair.
    info = features(doc)
    return [" ".join(piece) for piece in cut_sentence(sentence.text, info, limit=limit, min_length=min_length)]


def is_dialogue(sentence: SourceSentence) -> bool:
    text = sentence.text.strip()
    # A line quoted whole: guillemets, or the English-style quotes some
    # editions and most web texts use instead.
    quoted = text[:1] in QUOTES and text.rstrip(".!?… ").endswith(QUOTES[text[:1]])
    return not sentence.heading and (sentence.dialogue or bool(DASH_START.match(text)) or quoted)


def load() -> None:
    """Load spaCy's model and the lexicon the parse reads (seconds, once per
    process), before the first sentence rather than inside its time."""
    nlp()
    lexicon.is_word("maison")


@functools.cache
def nlp():
    import spacy
    from thinc.api import use_ops
    from threadpoolctl import threadpool_limits

    # thinc multiplies its matrices with blis unless told otherwise; on this
    # service's machines (AMD EPYC, AVX2) blis's kernel takes three times as
    # long as numpy's OpenBLAS, which gives the same parse to the token
    # (docs/benchmarks.md). The model's layers keep the ops they were built
    # with. One BLAS thread: the cluster already runs a parsing process per
    # core, and a pool in each would only fight over them.
    threadpool_limits(limits=1, user_api="blas")
    with use_ops("numpy", use_blis=False):
        # The parser, morphology and lemmas are all we use; the rest only costs time.
        model = spacy.load(MODEL, exclude=["ner", "senter"])
    index_words_as_sets(model.get_pipe("lemmatizer"))
    return model


def index_words_as_sets(lemmatizer) -> None:
    """The French lemmatizer asks whether a word is in its per-part-of-speech
    word list (28,000–66,000 words) once for the word and once per rule that
    fits its ending; the lists are Python lists, so each question scans one.
    A word the process has not seen before cost 0.3 ms, about 40 % of a
    chunk's parse, wherever the model runs (the vocabulary's lemmas too). As
    sets, the same questions give the same answers."""
    index = lemmatizer.lookups.get_table("lemma_index")
    for pos in list(index.keys()):
        index[pos] = frozenset(index[pos])


# A Gemini chunk's sections parse from threads of one process; spaCy does
# not promise that one pipeline may run in two threads at once, and the GIL
# would serialise the parses anyway.
PARSE_LOCK = threading.Lock()


def parse_alone(texts: Sequence[str], parsed: dict) -> list:
    """spaCy's parse of each text alone, as the judge reads a line: a text
    already in ``parsed`` (by text) is not parsed again, the others are
    parsed in one batch and kept there. The same text parsed alone gives the
    same parse, whatever else is in its batch."""
    missing = list(dict.fromkeys(text for text in texts if text not in parsed))
    if missing:
        with PARSE_LOCK:
            docs = list(nlp().pipe(missing, batch_size=BATCH_SIZE))
        parsed.update(zip(missing, docs, strict=True))
    return [parsed[text] for text in texts]


@dataclass(frozen=True)
class Parse:
    """What the splitter needs to know, per whitespace token of a sentence."""

    cut_tier: list[int]  # tier of a cut before token j (index 0 unused)
    dangling: list[bool]  # a cut before token j leaves a determiner, preposition or clitic hanging
    finite_verb: list[bool]


def parse(texts: list[str]) -> Iterable[Parse]:
    if not texts:
        return []
    return (features(doc) for doc in nlp().pipe(texts, batch_size=BATCH_SIZE))


def features(doc) -> Parse:
    text = doc.text
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    owner = [0] * (len(text) + 1)
    for index, (start, end) in enumerate(spans):
        for char in range(start, end):
            owner[char] = index
    tiers = [0] * len(spans)
    finite = [False] * len(spans)
    dangling = [False] * (len(spans) + 1)

    def raise_tier(position: int, tier: int) -> None:
        if 0 < position < len(spans):
            tiers[position] = max(tiers[position], tier)

    for token in doc:
        j = owner[token.idx]
        finite[j] = finite[j] or is_finite_verb(token)
        if (
            token.pos_ in PHRASE_POS
            and spans[j][0] == token.idx
            and token.head.pos_ != "PROPN"
            and not noun_complement(token)
        ):
            raise_tier(j, 1)  # not inside a name ("madame de Watteville") nor a noun's complement ("chevelure de feu")
        if not token.is_punct:
            dangling[j + 1] = leaves_hanging(token)
        if spans[j][0] == token.idx and token.lower_ in NEGATIONS and token.i > 0 and is_verb(doc[token.i - 1]):
            dangling[j] = True  # "vous ne savez | pas"
        if spans[j][0] == token.idx and (
            noun_complement(token) or (token.dep_ == "amod" and token.head.i == token.i - 1)
        ):
            dangling[j] = True  # "madame | de Watteville", "la chevelure | de feu", "les aventures | extraordinaires"
        if token.i > 0 and token.is_sent_start:
            raise_tier(j, 3)
        if token.dep_ in CLAUSE_DEPS and is_verb(token):
            left = token.left_edge.i
            if token.dep_ == "acl:relcl" and token.head.i == left - 1 and token.head.lower_ in ANTECEDENTS:
                left -= 1  # "ce que vous voulez" stays together
            raise_tier(first_word(doc, left, owner), 3)
            raise_tier(owner[token.right_edge.idx] + 1, 3)
    for j in range(1, len(spans)):
        before = text[spans[j - 1][0] : spans[j - 1][1]]
        if before.endswith((";", ":")) or (before.endswith(("!", "?")) and text[spans[j][0]].islower()):
            raise_tier(j, 4)
        elif before.endswith(","):
            raise_tier(j, 2)
    return Parse(cut_tier=tiers, dangling=dangling, finite_verb=finite)


def leaves_hanging(token) -> bool:
    """Would a cut right after ``token`` leave it without what it leads to?
    A determiner, preposition or conjunction; a clitic pronoun before its
    verb ("il | peut"); the negation "ne"; an auxiliary or copula before
    its verb or attribute ("il est | mort", "ils ont | vu")."""
    if token.pos_ in HANGING_POS or token.lower_ in ("ne", "n'"):
        return True
    if token.pos_ == "PRON":
        return token.head.i > token.i or token.lower_ == "ce"
    return token.pos_ == "AUX" and token.head.i > token.i


def noun_complement(token) -> bool:
    """``de`` and friends introducing the complement of the noun just before."""
    return token.dep_ == "case" and token.head.dep_ in ("nmod", "flat:name") and token.head.head.i == token.i - 1


def is_verb(token) -> bool:
    return token.pos_ in ("VERB", "AUX") or is_finite_verb(token)


def is_finite_verb(token) -> bool:
    if "Fin" in token.morph.get("VerbForm"):
        return True
    # The small model tags many passé simple forms as nouns or adjectives.
    return token.pos_ in RETAGGABLE_POS and token.text.islower() and lexicon.is_narrative_verb(token.text)


def first_word(doc, index: int, owner: list[int]) -> int:
    """The whitespace token where a clause really starts (after its commas)."""
    while index < len(doc) - 1 and doc[index].is_punct:
        index += 1
    return owner[doc[index].idx]


def cut_sentence(text: str, info: Parse, *, limit: int, min_length: int) -> list[list[str]]:
    """The pieces of ``text``, each a list of its whitespace tokens."""
    tokens = text.split()
    words = [1 if HAS_WORD.search(token) else 0 for token in tokens]
    cuts = best_cuts(tokens, words, info, limit=limit, min_length=min_length)
    pieces = [tokens[a:b] for a, b in zip([0, *cuts], [*cuts, len(tokens)], strict=True)]
    return merge_short(pieces, limit=limit, min_length=min_length)


def allowed_cut(tokens: list[str], words: list[int], j: int) -> bool:
    """A piece never starts with closing punctuation nor ends with an opening one."""
    opening_before = OPENING.match(tokens[j - 1]) is not None
    closing_here = not words[j] and OPENING.match(tokens[j]) is None
    return not opening_before and not closing_here


def best_cuts(tokens: list[str], words: list[int], info: Parse, *, limit: int, min_length: int) -> list[int]:
    """Cut positions (token indexes) of the cheapest split, by dynamic programming."""
    n = len(tokens)
    word_sum = [0]
    verb_sum = [0]
    for j in range(n):
        word_sum.append(word_sum[-1] + words[j])
        verb_sum.append(verb_sum[-1] + info.finite_verb[j])
    has_verbs = verb_sum[n] > 1
    starts = [0] + [j for j in range(1, n) if allowed_cut(tokens, words, j)]
    best = {0: (0.0, -1)}  # cut position → (cost so far, previous cut)
    for end in [*starts[1:], n]:
        options = []
        for start in starts:
            if start >= end or start not in best:
                continue
            count = word_sum[end] - word_sum[start]
            if count > limit or count == 0:
                continue
            cost = best[start][0] + piece_cost(
                count, verb_sum[end] > verb_sum[start] or not has_verbs, limit, min_length
            )
            if end < n:
                cost += CUT_COST[info.cut_tier[end]] + DANGLING_COST * info.dangling[end]
            options.append((cost, start))
        if options:
            best[end] = min(options)
    cuts: list[int] = []
    position = best[n][1]
    while position > 0:
        cuts.append(position)
        position = best[position][1]
    return cuts[::-1]


def piece_cost(count: int, has_verb: bool, limit: int, min_length: int) -> float:
    cost = PIECE_COST + IMBALANCE_COST * ((limit - count) / limit) ** 2
    if not has_verb:
        cost += NO_VERB_COST
    if count < min_length:
        cost += TOO_SHORT_COST
    return cost


def merge_short(pieces: list[list[str]], *, limit: int, min_length: int) -> list[list[str]]:
    pieces = [list(piece) for piece in pieces]
    index = 0
    while index < len(pieces) and len(pieces) > 1:
        size = count_words(" ".join(pieces[index]))
        if size >= min_length:
            index += 1
            continue
        neighbours = [k for k in (index - 1, index + 1) if 0 <= k < len(pieces)]
        neighbours.sort(key=lambda k: count_words(" ".join(pieces[k])))
        target = next((k for k in neighbours if count_words(" ".join(pieces[k])) + size <= limit), None)
        if target is None:
            index += 1
            continue
        low, high = sorted((index, target))
        pieces[low : high + 1] = [pieces[low] + pieces[high]]
        index = low
    return pieces
