"""The judge (SPEC §8): does a line read as a French sentence on its own,
and does a rewrite keep its source's content without inventing any?

It works on spaCy's parse of each line alone, as a reader meets it, and is
the one definition used by the engines' tests, the quality report and every
job's figures, for both engines.

A line is *complete* when
* it starts with a capital letter or a digit (after a dialogue dash or an
  opening quote),
* it ends with ``. ! ? …`` (closing quotes and brackets allowed), and
* it is a main clause: a finite verb (or a finite auxiliary or copula) that
  is the root of the line or coordinated with it, with no subordinator on
  it, and the line does not open with a relative pronoun. Questions and
  exclamations ("Qui vient ?") are exempt from the relative rule.
A short exclamation, question or dialogue reply (at most ``SHORT_REPLY``
words: "— Oui, monsieur.", "Eh bien !") counts without a verb.

Content: the lemmas of nouns, proper nouns, verbs, adjectives and numbers.
Coverage is the share of a source sentence's content lemmas that its output
lines keep; invented content is the share of the output's content lemmas
found nowhere in its source sentence, leaving out the words the engine may
add (SPEC §8: a verb of saying, a copula, être / avoir / faire).

Plain Python over spaCy docs: no Django here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jobs.pipeline import lexicon
from jobs.pipeline.words import count_words

SHORT_REPLY = 5
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM"})
# Words the rewrite may add without inventing content (SPEC §8).
ADDABLE_LEMMAS = frozenset({"être", "avoir", "faire", "dire"})
RELATIVE_OPENERS = frozenset({"qui", "que", "qu'", "dont", "où", "lequel", "laquelle", "lesquels", "lesquelles"})
DIALOGUE_OPENERS = '–—―-«“"'
OPENING_MARKS = re.compile(r"^[\s«“\"'(\[–—―-]*")
CLOSING_MARKS = re.compile(r"[\s»”\"')\]]*$")
END_MARKS = (".", "!", "?", "…")


@dataclass(frozen=True)
class Verdict:
    capital: bool
    end_mark: bool
    main_clause: bool
    short_reply: bool

    @property
    def complete(self) -> bool:
        return self.capital and self.end_mark and (self.main_clause or self.short_reply)


def verdict(doc) -> Verdict:
    """The judge's view of one line, parsed alone."""
    text = doc.text.strip()
    body = OPENING_MARKS.sub("", text)
    tail = CLOSING_MARKS.sub("", text)
    first = body[:1]
    asks = tail.endswith(("?", "!"))
    return Verdict(
        capital=first.isupper() or first.isdigit(),
        end_mark=tail.endswith(END_MARKS),
        main_clause=has_main_clause(doc, asks=asks),
        short_reply=count_words(text) <= SHORT_REPLY and (asks or text[:1] in DIALOGUE_OPENERS),
    )


def has_main_clause(doc, *, asks: bool = False) -> bool:
    words = [token for token in doc if not token.is_punct and not token.is_space]
    if not words:
        return False
    if asks:
        # "Pour qui me prenez-vous ?", "Est-ce que le Croate ne hait pas le
        # Magyar ?": in a question the pronoun asks, it does not relate.
        return any(is_finite(token) for token in doc)
    if words[0].lower_ in RELATIVE_OPENERS:
        return False  # "qui possède le privilège."
    return any(is_main_verb(token) for token in doc)


def is_finite(token) -> bool:
    """Is ``token`` a finite verb? Read once per token of a doc (the rewrite
    asks it of the same words many times): see ``read_finite``."""
    known = token.doc.user_data.get(FINITE_KEY)
    if known is None:
        known = token.doc.user_data[FINITE_KEY] = [read_finite(t) for t in token.doc]
    return known[token.i]


FINITE_KEY = "novelproc.finite"


def read_finite(token) -> bool:
    """Is ``token`` a finite verb? The parser's morphology first; then what
    French syntax says where the tagger errs (it reads many passé simple forms
    as participles or nouns, "échangea", "et salua"): a word right after a
    subject pronoun and its clitics ("On y creuse", "Tu mets"), or before an
    inverted subject ("dit-elle"), or a narrative-tense form of a verb."""
    if token.is_punct or not token.is_alpha:
        return False
    if any(child.dep_ in AUXILIARY_DEPS for child in token.children):
        return False  # "a dit", "est venue": the auxiliary is the finite verb
    if "Fin" in token.morph.get("VerbForm"):
        return True
    if token.pos_ in ("DET", "ADP", "CCONJ", "SCONJ", "PRON", "PUNCT"):
        return False
    if not token.text.islower():
        # The tagger reads a capitalised imperative opening a line as a name ("« Viens ici »").
        return (
            is_first_word(token) and token.pos_ in ("PROPN", "NOUN", "VERB") and lexicon.is_conjugated_verb(token.text)
        )
    if after_subject_pronoun(token) or before_inverted_subject(token):
        return True
    return lexicon.is_narrative_verb(token.text)


AUXILIARY_DEPS = frozenset({"aux", "aux:pass", "aux:tense"})
SUBJECT_PRONOUNS = frozenset({"je", "j'", "tu", "il", "elle", "on", "ils", "elles", "nous", "vous"})
CLITICS = frozenset(
    {"ne", "n'", "me", "m'", "te", "t'", "se", "s'", "le", "la", "l'", "les", "lui", "leur", "y", "en", "nous", "vous"}
)
INVERTED_SUBJECTS = re.compile(r"^-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles)$", re.IGNORECASE)


def is_first_word(token) -> bool:
    return all(t.is_punct or t.is_space for t in token.doc[: token.i])


def is_finite_clause(verb) -> bool:
    """Is ``verb`` finite, or the predicate of a finite auxiliary or copula?"""
    return is_finite(verb) or any(c.dep_ in ("cop", *AUXILIARY_DEPS) and is_finite(c) for c in verb.children)


def after_subject_pronoun(token) -> bool:
    doc, index = token.doc, token.i - 1
    while index >= 0 and doc[index].lower_ in CLITICS:
        if doc[index].lower_ in ("nous", "vous") and (index == 0 or doc[index - 1].lower_ not in SUBJECT_PRONOUNS):
            return True  # "nous savons", "vous voyez"
        index -= 1
    return index >= 0 and doc[index].lower_ in SUBJECT_PRONOUNS and index < token.i


def before_inverted_subject(token) -> bool:
    doc = token.doc
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None
    return following is not None and not token.whitespace_ and INVERTED_SUBJECTS.match(following.text) is not None


def is_main_verb(token) -> bool:
    """A finite verb with no subordinator ("parce que", "si", "quand") and no
    relative pronoun on its clause, nor on a clause it is coordinated with.
    Where the clause hangs in the parse is not asked: on a long literary
    sentence the parser often roots it on a noun, and a verb it misread
    would then make the source itself read as a fragment."""
    if not is_finite(token):
        return False
    node = token.head if token.dep_ in ("cop", *AUXILIARY_DEPS) else token
    while True:
        if any(child.dep_ == "mark" or is_relative_pronoun(child) for child in node.children):
            return False
        if node.dep_ != "conj" or node.head is node:
            return True
        node = node.head


def is_relative_pronoun(token) -> bool:
    return (
        token.lower_ in RELATIVE_OPENERS
        and token.i < token.head.i
        and token.dep_ != "mark"
        and ("Rel" in token.morph.get("PronType") or token.dep_ in ("nsubj", "obj", "obl", "obl:mod", "advmod", "nmod"))
    )


@dataclass(frozen=True)
class Content:
    """One source sentence against the lines written from it."""

    source: int  # content lemmas of the source (distinct)
    kept: int  # of those, found in the output lines
    output: int  # content lemmas of the output (distinct, addable words left out)
    invented: int  # of those, not in the source
    invented_lemmas: frozenset[str] = frozenset()


def content_lemmas(doc) -> set[str]:
    return {lemma_of(token) for token in doc if token.pos_ in CONTENT_POS and not token.is_punct}


def lemma_of(token) -> str:
    lemma = token.lemma_.lower() if token.lemma_ else token.lower_
    return lemma or token.lower_


def compare(source_docs: Sequence, output_docs: Sequence) -> Content:
    source: set[str] = set()
    # A word of the source counts whatever its tag in a line: "marche" may
    # be a noun in one parse and a verb in the other.
    source_words: set[str] = set()
    for doc in source_docs:
        source |= content_lemmas(doc)
        source_words |= {lemma_of(token) for token in doc} | {token.lower_ for token in doc}
    output: set[str] = set()
    invented: set[str] = set()
    output_words: set[str] = set()
    for doc in output_docs:
        for token in doc:
            lemma = lemma_of(token)
            output_words |= {lemma, token.lower_}
            if token.pos_ in CONTENT_POS and not token.is_punct and lemma not in ADDABLE_LEMMAS:
                output.add(lemma)
                # A word is its source's when its form or its lemma is there: two
                # parses may lemmatise one form apart ("marche": marcher, marche).
                if lemma not in source_words and token.lower_ not in source_words:
                    invented.add(lemma)
    return Content(
        source=len(source),
        kept=len(source & output_words),
        output=len(output),
        invented=len(invented),
        invented_lemmas=frozenset(invented),
    )


@dataclass(frozen=True)
class Judgement:
    lines_judged: int = 0
    complete_lines: int = 0
    source_sentences: int = 0
    complete_source_sentences: int = 0
    source_content: int = 0
    kept_content: int = 0
    output_content: int = 0
    invented_content: int = 0

    def __add__(self, other: Judgement) -> Judgement:
        return Judgement(*(a + b for a, b in zip(vars(self).values(), vars(other).values(), strict=True)))


def judge(groups: Iterable[tuple[Sequence, Sequence]]) -> Judgement:
    """Judge ``(source_docs, line_docs)`` pairs: the parse of some source
    sentences and of the lines written from them, each parsed alone. The
    local engine gives one source sentence a group; Gemini rewrites a chunk
    at once, so its whole chunk is one group (content is compared over it)."""
    total = Judgement()
    for source_docs, line_docs in groups:
        content = compare(source_docs, line_docs)
        total = total + Judgement(
            lines_judged=len(line_docs),
            complete_lines=sum(verdict(doc).complete for doc in line_docs),
            source_sentences=len(source_docs),
            complete_source_sentences=sum(verdict(doc).complete for doc in source_docs),
            source_content=content.source,
            kept_content=content.kept,
            output_content=content.output,
            invented_content=content.invented,
        )
    return total
