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
  exclamations ("Qui vient ?") are exempt from the relative rule; a line
  opening on "c'est" / "c'était" and a person or a purpose is a main clause
  wherever the parser hangs the rest ("C'était lui qui était inquiet.");
* that main clause has its subject, or is an imperative ("Au supplice ne
  souffre pas …" has lost it), and no verb of the line has lost the object
  or complement French requires of it ("Le visiteur ne put s'empêcher.",
  "… avait retenu.", "Le ministre dit."): see ``has_subject``,
  ``lacks_complement`` and ``said_nothing``;
* it is not bad French whatever its verb (``badly_formed``): a clause cut
  short ("… afin."), subject and verb that disagree, or a tense French does
  not have ("Philomène était tenant la plume.").
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

import itertools
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


@dataclass(frozen=True)
class Source:
    """What the judge looks up in the sentences a line was written from,
    gathered once for all the lines of a group. Gemini's chunk is one group
    of a thousand sentences or more: scanning it again for each of its lines
    made the judge's time grow with the square of the chunk."""

    docs: Sequence
    verbs: dict[str, list]  # a verb's form → its tokens in the source (``verbs_by_form``)
    replies: frozenset[tuple[str, ...]]  # the words of each piece between the source's ! ? … marks
    # Two tokens that follow each other (lower case) → the first one's
    # occurrences: a determiner is looked up with the word after it, since
    # alone "la" or "les" is in every other sentence of a chunk.
    pairs: dict[tuple[str, str], list]

    @classmethod
    def of(cls, docs: Sequence) -> Source:
        pairs: dict[tuple[str, str], list] = {}
        for doc in docs:
            tokens = list(doc)
            for token, following in itertools.pairwise(tokens):
                pairs.setdefault((token.lower_, following.lower_), []).append(token)
        replies = frozenset(
            tuple(WORD.findall(segment.lower())) for doc in docs for segment in REPLY_BREAK.split(doc.text)
        )
        return cls(docs=docs, verbs=verbs_by_form(docs), replies=replies, pairs=pairs)


class Tokens(list):
    """A line's tokens, made once for all the judge's checks. Each index or
    walk over a spaCy doc makes a new Token object, and the checks walk the
    line again and again: a 95-page chunk made 1.6 million of them, a third
    of the judge's time. Slices stay spaCy spans (their callers read
    ``.text`` and ``.root``)."""

    def __init__(self, doc):
        super().__init__(doc)
        self.doc = doc
        self.text = doc.text

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.doc[key]
        return super().__getitem__(key)


def verdict(doc, source: Sequence | Source = ()) -> Verdict:
    """The judge's view of one line, parsed alone. ``source``, the parse of
    the sentences it was written from where they are known (or their
    ``Source``, for many lines), tells a verb that lost its object from one
    used absolutely ("il mangeait")."""
    if not isinstance(source, Source):
        source = Source.of(source)
    doc = doc if isinstance(doc, Tokens) else Tokens(doc)
    text = doc.text.strip()
    body = OPENING_MARKS.sub("", text)
    tail = CLOSING_MARKS.sub("", text)
    first = body[:1]
    asks = tail.endswith(("?", "!"))
    flawed = badly_formed(doc, source)
    return Verdict(
        capital=first.isupper() or first.isdigit(),
        end_mark=tail.endswith(END_MARKS),
        main_clause=(
            not flawed
            and has_main_clause(doc, asks=asks)
            and not lacks_complement(doc, source)
            and not (verbless_reply(doc) and not own_reply(text, source))
        ),
        short_reply=(
            not flawed
            and count_words(text) <= SHORT_REPLY
            and (asks or text[:1] in DIALOGUE_OPENERS)
            and own_reply(text, source)
        ),
    )


def verbless_reply(doc) -> bool:
    """Is the line's only verb its reporting clause's, after a phrase that
    opens on a preposition ("– Dans ma maison, dit-il.", "Avec toute la
    famille, reprit le baron.")? The reply is a piece cut from a longer
    one; the reporting verb is no main clause of it. A reply the source has
    whole ("– De ma mère, répondit Philomène.") is not asked (``verdict``)."""
    finite = [token for token in doc if is_finite(token)]
    if not finite or finite[0].lemma_ not in REPORTING_LEMMAS or finite[0].i == 0:
        return False
    before = [token for token in doc[: finite[0].i] if not token.is_punct]
    return bool(before) and doc[finite[0].i - 1].text == "," and before[0].pos_ == "ADP"


def stranded_reporting_verb(doc) -> bool:
    """Does the line end on a verb of saying after a comma, with no subject
    ("– Vous avez fait triompher le Chapitre, dit."), or on "dire" with
    nothing said ("Le ministre de la police dit.")?"""
    words = [token for token in doc if not token.is_punct]
    if len(words) < 2:
        return False
    last = words[-1]
    # Read by its tag, not as a finite verb: alone at the end, "dit" is often tagged a participle.
    if last.lemma_ not in REPORTING_LEMMAS or last.pos_ not in ("VERB", "AUX"):
        return False
    if doc[last.i - 1].text == ",":
        return True
    return said_nothing(doc, last)


def said_nothing(doc, verb) -> bool:
    """Is the line's last word an active "dire" with nothing said, its reply
    cut off ("Le ministre de la police dit.", "… qui disait.", the source's
    colon and reply gone)? Not a passive or an idiom ("La messe était
    dite.", "se le tint pour dit"), a question, a reflexive or inverted one
    ("me suis-je dit"), "comme on disait", nor one with its object before it
    ("ne vous a rien dit", "le dit")."""
    if verb.lemma_ != "dire" or verb.lower_ in ("dire", "disant") or not doc.text.rstrip(' »”"').endswith("."):
        return False
    if any(c.dep_ in ("obj", "ccomp", "xcomp", "obl:arg", "aux:pass", "cop") for c in verb.children):
        return False
    if any(c.dep_ in AUXILIARY_DEPS and c.lemma_ == "être" for c in verb.children):
        return False
    if verb.i > 0 and doc[verb.i - 1].lower_ in OBJECT_CLITICS:
        return False  # "le dit", "se dit"
    before = [t.lower_ for t in doc[max(0, verb.i - 4) : verb.i]]
    return not any(word in SAID_BEFORE for word in before)


# Words before "dire" that say what was said, or make it no verb of saying with its reply cut off.
SAID_BEFORE = frozenset("rien tout cela ça ce comme pour lui-même -je -il -elle -on".split())


def badly_formed(doc, source: Source) -> bool:
    """Is the line bad French whatever its verb: a clause cut short (``open_completive``,
    ``open_ending``, ``lost_attribute``, ``orphan_determiner``) or a subject and
    verb that disagree (``number_clash``)?"""
    return (
        open_completive(doc)
        or open_ending(doc)
        or lost_attribute(doc)
        or orphan_determiner(doc, source)
        or number_clash(doc)
        or lost_negation(doc)
        or stranded_reporting_verb(doc)
        or auxiliary_on_present_participle(doc)
    )


def auxiliary_on_present_participle(doc) -> bool:
    """Does "être" or "avoir" lead a present participle with its object
    ("Philomène était tenant la plume.", "Léopold est ayant dans sa poche
    les restes.")? French has no such tense."""
    for token in doc:
        head = token.head
        if token.dep_ not in ("cop", *AUXILIARY_DEPS) or head.pos_ != "VERB" or head.i == token.i:
            continue
        present = "Part" in head.morph.get("VerbForm") and "Pres" in head.morph.get("Tense")
        if present and any(c.dep_ == "obj" for c in head.children):
            return True
    return False


NEGATION_WORDS = frozenset(
    "pas point jamais plus guère rien personne aucun aucune nul nulle ni que qu' goutte mot nullement âme garde".split()
)
# Verbs French negates with "ne" alone: "je ne sais", "il ne peut", "elle n'osait", "il ne cessait de".
NE_ALONE_VERBS = frozenset("savoir pouvoir oser cesser".split())


PU = frozenset("pu pus put purent pût".split())


def doc_asks(token) -> bool:
    return token.doc.text.rstrip(' »”"').endswith("?")


def lost_negation(doc) -> bool:
    """Did "ne" lose the word that completes it ("Elle ne pensait alors." from
    "… qu'aux lettres")? Not with a verb French negates with "ne" alone, nor
    an expletive "ne" after "que" ("avant qu'il ne parte", "plus qu'il ne
    faut"), nor "n'importe"."""
    words = [token for token in doc if not token.is_punct and not token.is_space]
    for index, word in enumerate(words):
        if word.lower_ not in ("ne", "n'"):
            continue
        if any(t.lower_ in NEGATION_WORDS for t in words if t is not word):
            continue  # "ne … pas", and before it: "Jamais homme n'eut", "Rien ne résistait"
        if any(t.lower_ in ("que", "qu'", "qui", "si", "s'") for t in words[:index]) or doc_asks(word):
            continue  # "avant qu'il ne parte", "le butor qui ne deviendrait", "si je ne veillais", a question
        verbs = [t for t in words[index + 1 :] if t.lower_ not in CLITICS][:2]
        if (
            not verbs
            or verbs[0].lower_ == "importe"
            or any(t.lemma_ in NE_ALONE_VERBS or t.lower_ in PU for t in verbs)
        ):
            continue  # "n'importe", "je n'aurais pu", "je ne pus m'empêcher"
        return True
    return False


def own_reply(text: str, source: Source) -> bool:
    """Is a short line one of its source's own replies, exclamations or
    questions ("– Oui, monsieur.", "Eh bien !" in "Eh bien ! que faites-vous
    ?"), and not a cut piece that happens to be short ("Pas ton histoire de
    France ?" cut from "Tu ne connais donc pas ton histoire de France ?")?
    With no source known (a source sentence judged alone) it is."""
    if not source.docs:
        return True
    return tuple(WORD.findall(text.lower())) in source.replies


WORD = re.compile(r"\w+")
# Where a sentence's own short replies and exclamations end: "Ah ! mon Dieu !", "Oui ? dit-il".
REPLY_BREAK = re.compile(r"(?<=[!?…])\s+|(?<=\.\.\.)\s+")


def has_main_clause(doc, *, asks: bool = False) -> bool:
    words = [token for token in doc if not token.is_punct and not token.is_space]
    if not words:
        return False
    if asks:
        # "Pour qui me prenez-vous ?", "Est-ce que le Croate ne hait pas le
        # Magyar ?": in a question the pronoun asks, it does not relate.
        return any(is_finite(token) and has_subject(token) for token in doc)
    if words[0].lower_ in RELATIVE_OPENERS:
        return False  # "qui possède le privilège."
    if presentative(words) or opens_on_voila(words):
        return True  # "C'était lui qui était inquiet.", "C'était pour vous emprunter …", "Et le voilà à la porte."
    if headless_relative(words):
        return False
    return any(is_main_verb(token) and has_subject(token) for token in doc)


def presentative(words: Sequence) -> bool:
    """Does the line open on "c'est", "c'était", "ce fut" … and a person or a
    purpose: a main clause whatever follows it (a cleft's "qui", an
    infinitive), which the parser often hangs on the word after it?"""
    return (
        len(words) > 2
        and words[0].lower_ in ("c'", "ce")
        and words[1].lemma_ == "être"
        and is_finite(words[1])
        and words[2].lower_ in PRESENTED
    )


# What may come before "voilà" or "voici" in a main clause: a connective, an interjection, an object clitic.
BEFORE_VOILA = frozenset("et mais or ah oh eh donc alors puis enfin".split())


def opens_on_voila(words: Sequence) -> bool:
    """Is "voilà" or "voici" the line's predicate, after at most a
    connective and its object ("Et le voilà à la porte du Paradis...",
    "Voilà ce qu'il a dit.")? It is a main clause with no verb."""
    at = next((index for index, word in enumerate(words) if word.lower_ in ("voilà", "voici")), None)
    if at is None:
        return False
    return all(word.lower_ in BEFORE_VOILA or word.lower_ in OBJECT_CLITICS for word in words[:at])


# What a presentative whose clause the parser hangs elsewhere presents: a person ("C'était lui qui …"),
# a purpose ("C'était pour vous emprunter …"). Not "en" + a participle, "ainsi que", "là que": their
# clause must read as one on its own.
PRESENTED = frozenset("lui elle eux elles moi toi nous vous cela ça pour".split())


def headless_relative(words: Sequence) -> bool:
    """Is the line "ce que …" (or "ce qui", "ce dont") with no verb but the
    relative's ("Ce qu'est au Théâtre une répétition générale.")? "Ce qu'il
    dit est vrai." has its main verb after it."""
    if len(words) < 3 or words[0].lower_ not in ("ce", "c'") or words[1].lower_ not in ("que", "qu'", "qui", "dont"):
        return False
    finite = [t for t in words if is_finite(t) and t.dep_ not in AUXILIARY_DEPS]
    return len(finite) <= 1


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
    if token.lower_ in CLITICS:
        return False  # "On ne s'occupait": "ne" follows its subject pronoun too, and is no verb
    if any(child.dep_ in AUXILIARY_DEPS for child in token.children):
        return False  # "a dit", "est venue": the auxiliary is the finite verb
    if token.lower_.endswith("ant") and token.pos_ in ("VERB", "AUX"):
        return False  # no finite form ends so; the tagger calls some present participles finite ("en cachant")
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
    if token.pos_ == "VERB" and lexicon.conjugates(token.text, token.lemma_):
        if noun_subject_before(token):
            return True  # "L'artillerie fait son devoir", "la mode change": read as participles, with a subject
        if token.dep_ == "conj" and token.head.i < token.i and read_finite(token.head):
            return True  # "se tourna vers lui et lui dit": coordinated with a finite verb, in its tense
    return lexicon.is_narrative_verb(token.text)


def noun_subject_before(token) -> bool:
    """Has ``token`` a noun or a name for its subject, before it? A participle
    has none without an auxiliary, but in an absolute phrase ("le dîner
    fini"), whose form is no conjugated one."""
    return any(
        c.dep_ in ("nsubj", "nsubj:pass") and c.pos_ in ("NOUN", "PROPN") and c.i < token.i for c in token.children
    )


AUXILIARY_DEPS = frozenset({"aux", "aux:pass", "aux:tense"})
SUBJECT_PRONOUNS = frozenset({"je", "j'", "tu", "il", "elle", "on", "ils", "elles", "nous", "vous"})
CLITICS = frozenset(
    {"ne", "n'", "me", "m'", "te", "t'", "se", "s'", "le", "la", "l'", "les", "lui", "leur", "y", "en", "nous", "vous"}
)
INVERTED_SUBJECTS = re.compile(r"^-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles|ce)$", re.IGNORECASE)


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
    if following is None or token.whitespace_:
        return False
    return INVERTED_SUBJECTS.match(following.text) is not None or following.lower_ in ("-t", "-t-")  # "y a-t-il"


def is_main_verb(token) -> bool:
    """A finite verb with no subordinator ("parce que", "si", "quand") and no
    relative pronoun on its clause, nor on a clause it is coordinated with.
    Where the clause hangs in the parse is not asked: on a long literary
    sentence the parser often roots it on a noun, and a verb it misread
    would then make the source itself read as a fragment."""
    if not is_finite(token):
        return False
    if "Sub" in token.morph.get("Mood") and any(t.lower_ in ("que", "qu'") for t in token.doc[: token.i]):
        return False  # "Si grand qu'il soit.": a subjunctive after "que", wherever the parse hangs the "que"
    node = token.head if token.dep_ in ("cop", *AUXILIARY_DEPS) else token
    while True:
        if any(is_subordinator(child) or is_relative_pronoun(child) for child in node.children):
            return False
        if node.dep_ != "conj" or node.head is node:
            return True
        node = node.head


def is_subordinator(token) -> bool:
    """A conjunction that makes its clause subordinate, but not "si" before
    an adjective or an adverb inside the line, which says how much ("Le
    calme était si grand sur le lac.", "Ils étaient si connus"): the parser
    reads it as "if"; nor "en" before a finite verb, a pronoun it reads as
    the gerund's "en"."""
    if token.dep_ != "mark":
        return False
    following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    if token.lower_ == "en" and following is not None and is_finite(following) and not is_first_word(token):
        return False  # "et en avala les morceaux": the pronoun, not the "en" of a gerund ("En joue …" is none)
    degree = token.lower_ == "si" and following is not None and following.pos_ in ("ADJ", "ADV")
    return not (degree and not is_first_word(token))  # "Si grand qu'il soit." concedes: no main clause


def is_relative_pronoun(token) -> bool:
    if token.lower_ in ("que", "qu'") and restricting(token):
        return False  # "Il n'est qu'une conscience": "ne … que" restricts
    return (
        token.lower_ in RELATIVE_OPENERS
        and token.i < token.head.i
        and token.dep_ != "mark"
        and ("Rel" in token.morph.get("PronType") or token.dep_ in ("nsubj", "obj", "obl", "obl:mod", "advmod", "nmod"))
    )


def restricting(que) -> bool:
    """Is this "que" the second half of "ne … que", right after the verb its "ne" leads to?"""
    before = [t for t in que.doc[max(0, que.i - 4) : que.i] if not t.is_punct]
    return bool(before) and any(t.lower_ in ("ne", "n'") for t in before) and before[-1].pos_ in ("VERB", "AUX")


# -- a clause's subject ---------------------------------------------------

SUBJECT_DEPS = frozenset({"nsubj", "nsubj:pass", "expl:subj", "expl", "csubj"})
# Prepositions that make a noun a complement, never a subject: the parser
# reads "Au supplice ne souffre pas" with "supplice" as the subject. Not
# "de" ("De grands cris retentirent": a partitive subject) nor "entre".
SUBJECT_BLOCKING_CASES = frozenset(
    "à au aux a dans sur sous chez avec sans pour par en vers devant derrière après avant depuis pendant".split()
)
# Finite forms French uses with no subject outside the imperative: "Voilà
# l'homme.", "Peu importe.", and the dialogue's "Faut pas…" (il dropped).
SUBJECTLESS_FORMS = frozenset({"voilà", "voici", "importe", "faut", "fallait", "suffit"})
# An imperative is a present of the 2nd person singular or the 1st or 2nd
# plural: "Viens", "Exerce ta voix", "Allons", "Venez", "Va". A narrative
# past ("s'inclina", "entrait") never is.
IMPERATIVE_ENDINGS = ("e", "s", "x", "ons", "ez", "a")
NOT_IMPERATIVE_ENDINGS = ("ais", "ait", "ât", "îmes", "âmes", "ûmes", "ûtes", "âtes")


def has_subject(token) -> bool:
    """Has the clause of the finite ``token`` a subject, its own or one it
    shares with the verb it is coordinated with ("Il entra et salua"), or is
    it an imperative? A verb whose subject was cut away ("De la cabane,
    s'inclina profondément et entra.", "Au supplice ne souffre pas …") is a
    fragment. On a long sentence the parser often hangs the subject
    elsewhere ("Francesca rougit."), so a noun or pronoun before the verb
    that no preposition governs is taken for its subject: the rule is there
    for lines with none."""
    node = token.head if token.dep_ in ("cop", *AUXILIARY_DEPS) else token
    finite = token
    while True:
        subjects = [child for child in node.children if child.dep_ in SUBJECT_DEPS]
        if any(not prepositional(subject) for subject in subjects) or subject_near(finite):
            return True
        if after_subject_pronoun(finite) or before_inverted_subject(finite) or imperative(finite):
            return True
        if finite.lower_ in SUBJECTLESS_FORMS or node.lower_ in SUBJECTLESS_FORMS or node.lemma_ == "falloir":
            return True
        if node.dep_ != "conj" or node.head is node or node.head.i > node.i:
            return False
        node = node.head
        finite = next((c for c in node.children if c.dep_ in ("cop", *AUXILIARY_DEPS) and is_finite(c)), node)


def subject_near(finite) -> bool:
    """A word that can be the subject of ``finite``: before it, a noun, a
    name, a pronoun or an adjective no preposition governs (object clitics
    and relative pronouns apart); after it, one the parser reads as a
    subject, an inverted reporting clause, or a stylistic inversion
    ("Alors entra un homme")."""
    doc = finite.doc
    for other in doc[: finite.i]:
        if other.lower_ in INDEFINITE_SUBJECTS or (other.dep_ in SUBJECT_DEPS and not prepositional(other)):
            return True  # "Tout en était large", "L'une avait seize ans", "Nul ne les avait vus"
        nominal = other.pos_ in ("NOUN", "PROPN", "PRON", "NUM", "X") or (
            other.pos_ == "ADJ" and any(c.dep_ == "det" for c in other.children)  # "Le petit se prit à pleurer"
        )
        if nominal and not prepositional(other):
            if other.lower_ in OBJECT_CLITICS | RELATIVE_OPENERS | {"y", "lui", "leur"}:
                continue
            return True
    if reporting_clause(finite):
        return True
    predicate = finite.head if finite.dep_ in ("cop", *AUXILIARY_DEPS) else finite
    if any(other.dep_ in SUBJECT_DEPS and other.head in (finite, predicate) for other in doc[finite.i + 1 :]):
        return True
    return inverted_subject(finite)


def reporting_clause(finite) -> bool:
    """An inverted reporting clause after a reply: "– Oui ! répondit l'autre",
    "– À quelle heure ? avait osé demander l'institutrice": the verb follows
    the reply's punctuation and its subject comes after it."""
    doc = finite.doc
    index = finite.i - 1
    while index >= 0 and doc[index].lower_ in CLITICS:
        index -= 1
    if index < 0 or doc[index].text not in ("!", "?", ",", "…", "...", "»"):
        return False
    return any(t.pos_ in ("DET", "NOUN", "PROPN", "PRON") for t in doc[finite.i + 1 : finite.i + 7])


INDEFINITE_SUBJECTS = frozenset(
    "tout tous toutes rien personne chacun chacune cela ceci ça ç' c' nul nulle aucun aucune plusieurs certains".split()
)
INTERROGATIVES = frozenset("quel quelle quels quelles où comment pourquoi combien quand".split())


def inverted_subject(finite) -> bool:
    """Stylistic inversion: after an adverb or a complement, the subject
    follows its verb ("Alors entra un homme.", "Ainsi commença, pour ne plus
    finir, une correspondance", "Sur ce terrain commencent des haines"). The
    verb is a full verb with words before it, and a noun phrase with its
    determiner, or a name, comes after it (not "Aurait encore trois fois
    plus de fortune", nor "… ne souffre pas ce qu'Albert souffrit")."""
    doc = finite.doc
    if not any(t.is_alpha for t in doc[: finite.i]):
        return False
    if all(not t.is_alpha or (t.pos_ == "PRON" and t.lower_ in CLITICS | {"y"}) for t in doc[: finite.i]):
        return False  # "Y préparait la duchesse": a clitic alone is no complement to invert after
    asked = any(t.lower_ in INTERROGATIVES for t in doc[: finite.i]) or doc.text.rstrip(' »”"').endswith("?")
    if not asked and any(t.lower_ in ("ne", "n'") for t in doc[max(0, finite.i - 3) : finite.i]):
        return False  # negation and stylistic inversion do not go together, but "quelle ne fut pas sa surprise"
    if finite.pos_ != "VERB" and not asked and not any(t.is_punct for t in doc[: finite.i]):
        return False
    index = finite.i + 1
    while index < len(doc):
        word = doc[index]
        if (word.lower_ in CLITICS and word.pos_ == "PRON") or (word.pos_ in ("VERB", "ADJ") and not is_finite(word)):
            index += 1  # "était assise une jeune personne", "pouvait s'attacher un collet"
            continue
        if word.text == ",":
            closing = next((t.i for t in doc[index + 1 :] if t.text == ","), None)
            if closing is None:
                return False
            index = closing + 1
            continue
        if word.pos_ == "ADV":
            index += 1
            continue
        return (word.pos_ == "DET" and "NumType" not in word.morph) or word.pos_ == "PROPN"
    return False


# Verbs of saying, which open their reporting clause with the subject after them ("reprit Francesca").
REPORTING_LEMMAS = frozenset(
    "dire reprendre répondre demander questionner ajouter murmurer crier s'écrier écrier répliquer continuer poursuivre "
    "fit faire penser songer soupirer interrompre balbutier déclarer expliquer observer riposter".split()
)


def prepositional(word) -> bool:
    """Is ``word`` governed by a preposition ("au supplice", "de la cabane": a
    "de" before an article is one; "de grands cris" is a partitive)? An
    adjective or a determiner is when its noun is ("au jeune homme")."""
    while word.dep_ in ("amod", "det", "nummod", "flat:name") and word.head is not word:
        word = word.head
    for child in word.children:
        if child.dep_ != "case" or child.i > word.i:
            continue
        form = child.lower_
        if form in SUBJECT_BLOCKING_CASES:
            return True
        if form in ("de", "d'") and any(
            c.dep_ == "det" and c.lower_ in ("le", "la", "l'", "les") for c in word.children
        ):
            return True
    return False


def imperative(finite) -> bool:
    """Is ``finite`` an imperative: so tagged, or a present form of the
    imperative's persons opening its clause (nothing before it but "ne", the
    clitics, a coordinator, after the line's start or a punctuation mark:
    "Cara diva, cultive toujours la musique", "Ah ! viens")."""
    if "Imp" in finite.morph.get("Mood"):
        return True
    form = finite.lower_
    opens = opens_clause(finite)
    if opens and form.endswith(("ez", "ons")) and not form.endswith("ions"):
        return True  # "Ouvrez vite": no past tense ends so, whatever the tagger says
    if any(tense in ("Past", "Imp") for tense in finite.morph.get("Tense")):
        return False
    person, number = finite.morph.get("Person"), finite.morph.get("Number")
    if "2" in person or ("1" in person and "Plur" in number):
        return True  # "Maintenant gardez le secret": a 2nd person with no "tu" or "vous" before it
    if not form.endswith(IMPERATIVE_ENDINGS) or form.endswith(NOT_IMPERATIVE_ENDINGS):
        return False
    if form.endswith("a") and form != "va":
        return False  # "entra": a passé simple
    return opens


def opens_clause(finite) -> bool:
    """Does ``finite`` open its clause (nothing before it but "ne", the
    clitics or a coordinator, after the line's start or a punctuation mark)?"""
    index = finite.i - 1
    doc = finite.doc
    while index >= 0 and (doc[index].lower_ in CLITICS or doc[index].lower_ in ("et", "mais", "puis", "donc")):
        index -= 1
    return index < 0 or doc[index].is_punct


# -- a verb's complement ---------------------------------------------------

COMPLEMENT_DEPS = frozenset({"obj", "xcomp", "ccomp"})
OBJECT_CLITICS = frozenset(
    {"le", "la", "l'", "les", "me", "m'", "te", "t'", "se", "s'", "nous", "vous", "en", "que", "qu'"}
)
REFLEXIVES = frozenset({"se", "s'"})
# Verbs French does not use absolutely (not "atteindre", which has "atteindre
# à", nor "subir", whose "subit" the tagger takes for the adjective's verb,
# nor "trouver": "J'ai trouvé !"): with no object at all a reader
# meets "il retint", "une pâleur accusait", "l'état de la capitale avait
# épouvanté" as a sentence cut short. Chosen for that: verbs with a current
# absolute use stay out ("il mangeait", "elle écrivait", lire, boire,
# chanter, attendre, regarder, voir, entendre, comprendre, savoir, aimer,
# jouer, fumer…), and so do those with a current intransitive sense
# ("donner sur la cour", "le feu prend", tenir, rendre, passer, tourner,
# sortir, finir, continuer…) and the modals ("comme il voudra").
NEEDS_OBJECT = frozenset(
    """accuser apercevoir cacher contenir effacer effrayer empêcher employer épouvanter éprouver
    exiger exprimer jeter mettre obtenir offrir placer posséder procurer provoquer remettre remplir renfermer
    rencontrer retenir révéler saisir supporter""".split()
)
# Pronominal verbs whose "se" is no object: "s'empêcher de rire", "s'en empêcher".
NEEDS_COMPLEMENT_WITH_SE = frozenset({"empêcher"})


def lacks_complement(doc, source: Source) -> bool:
    """Has a verb of the line lost the object or complement it needs? Either
    its lemma is one French does not use absolutely (``NEEDS_OBJECT``) and it
    has none, or, where the source sentence is known, the same verb there
    had an object or complement that the line has not kept."""
    source_verbs = source.verbs
    for token in doc:
        if token.pos_ not in ("VERB", "AUX") or passive_or_adjectival(token):
            continue
        lemma = token.lemma_.lower()
        if lemma in NEEDS_OBJECT and not has_complement(token, reflexive=lemma not in NEEDS_COMPLEMENT_WITH_SE):
            return True
        if lost_in_line(token, source_verbs.get(token.lower_, ())):
            return True
    return False


def open_completive(doc) -> bool:
    """Does a "que" after a verb open a clause that never comes ("Il savait
    que sa fille.")? Not "Je crois que non.", nor a comparison ("plus riche
    que moi"), whose "que" follows no verb."""
    for token in doc:
        if token.lower_ not in RELATIVE_QUE or token.i == 0:
            continue
        before = doc[token.i - 1]
        if before.pos_ != "VERB" or before.lemma_ == "être" or doc.text.rstrip(' »”"').endswith(("?", "!", "...", "…")):
            continue  # "c'est que", "Il me semble que...": not a clause cut short
        rest = doc[token.i + 1 :]
        if any(t.lower_ in ("oui", "non", "si") for t in rest[:1]):
            continue
        if any(t.lower_ in ("ne", "n'") for t in doc[max(0, token.i - 5) : token.i]):
            continue  # "Il ne voyait que sa fille": ne … que restricts
        if not any(is_finite(t) or "Inf" in t.morph.get("VerbForm") for t in rest):
            return True
    return False


# -- a clause cut short, a subject that disagrees -------------------------

DETERMINERS = frozenset(
    """le la les l' un une des du ce cet cette ces mon ton son ma ta sa mes tes ses notre votre leur nos vos leurs
    quelques chaque plusieurs aucun aucune""".split()
)
# Determiners that also stand alone as pronouns: "Deux et une !", "aucun !", "ne font qu'une".
PRONOUN_DETERMINERS = frozenset("un une aucun aucune plusieurs".split())
# Words no French sentence ends on: a relative pronoun, a conjunction, a preposition that governs a noun.
# Subordinators too that never end a clause: "parce" is half of "parce que", "afin" of "afin de",
# "jusque" of "jusque-là", "jusque dans".
OPEN_ENDINGS = frozenset(
    "que qu' qui dont lequel laquelle lesquels lesquelles et ou ni mais car ce "
    "parce lorsque lorsqu' puisque puisqu' quoique quoiqu' afin jusque".split()
)
# Not "pour", "contre", "avant", "après", "avec", "sans", "depuis": French uses them alone ("Je suis contre.").
OPEN_PREPOSITIONS = frozenset(
    "de d' du à au aux dans par sur sous chez vers entre parmi pendant durant malgré envers selon".split()
)


def open_ending(doc) -> bool:
    """Does the line end on a word that leads to what was cut: a determiner
    ("… sans ces chères lettres qui."), a relative pronoun, a conjunction,
    the "que" of "ne … que" ("On ne s'occupait que."), a preposition, or
    "ce que" and a verb whose inverted subject is gone ("… ce qu'est.")?
    A question asks with "qui" ("C'est qui ?"), and a one-word line is no
    cut clause."""
    words = [token for token in doc if not token.is_punct and not token.is_space]
    if len(words) < 2:
        return False
    last = words[-1]
    form = last.lower_
    ending = doc.text.rstrip(' »”"')
    if ending.endswith(("...", "…")) or not last.text.islower():
        return False  # "Il me semble que...": the speaker trails off; "Deux-Cent-Vingt-et-Un": a name
    if doc.text[: last.idx].endswith("-"):
        return False  # "accepte-la": a pronoun after its imperative
    asks = ending.endswith("?")
    if form in DETERMINERS - PRONOUN_DETERMINERS and last.pos_ == "DET":
        return True
    if form in OPEN_ENDINGS and not (asks and form in ("qui", "que", "quoi")):
        return True
    if form in OPEN_PREPOSITIONS and last.pos_ == "ADP":
        return True
    if cause_without_clause(words):
        return True
    before = words[-2].lower_
    return is_finite(last) and before in RELATIVE_QUE and len(words) > 2 and words[-3].lower_ in ("ce", "c'")


def cause_without_clause(words: Sequence) -> bool:
    """Does a "car" end the line with no verb after it ("…, haletants, car la
    bouche.")? "car" always opens a clause."""
    at = next((index for index in range(len(words) - 1, -1, -1) if words[index].lower_ == "car"), None)
    return at is not None and not any(is_finite(t) or t.pos_ in ("VERB", "AUX") for t in words[at + 1 :])


# Words before a verb "être" that are what it says: "ce qu'il est", "il y est", "tel il est", "où est-il".
ATTRIBUTE_STANDINS = frozenset(
    "y en le l' que qu' ainsi tel telle tels telles là ici où comme comment combien quel quelle quels quelles".split()
)


def lost_attribute(doc) -> bool:
    """Is a finite "être" the last word of its line, its attribute or place
    cut away ("Mais elle est.")? Not where a word before it stands for the
    attribute ("ce qu'il est", "il y est"), nor in a question or "soit"."""
    words = [token for token in doc if not token.is_punct and not token.is_space]
    if not words or doc.text.rstrip(' »”"').endswith(("?", ":")):
        return False
    index = len(words) - 1
    while index > 0 and (words[index].lower_ in NEGATION_TAILS or INVERTED_SUBJECTS.match(words[index].text)):
        index -= 1  # "Elle n'est pas.", "Ainsi est-il."
    verb = words[index]
    if verb.lemma_ != "être" or not is_finite(verb) or verb.lower_.startswith("soi"):
        return False
    return not any(word.lower_ in ATTRIBUTE_STANDINS for word in words[:index])


NEGATION_TAILS = frozenset({"pas", "point", "jamais", "plus", "guère", "rien"})


def orphan_determiner(doc, source: Source) -> bool:
    """Did the line keep a determiner and its adjectives while losing their
    noun ("je jouais ici cet affreux." from "cet affreux rôle")? Where the
    source is known: the line ends on a determiner and at most three words
    that, in the source, come before the determiner's noun, which the line
    does not have. The tagger, reading the line alone, often takes the
    adjective for the noun."""
    words = [token for token in doc if not token.is_punct and not token.is_space]
    kept = {token.lower_ for token in doc}
    for start in range(max(0, len(words) - 4), len(words) - 1):
        if words[start].lower_ not in DETERMINERS or words[start].pos_ != "DET":
            continue
        tail = [token.lower_ for token in words[start:]]
        for token in source.pairs.get((tail[0], tail[1]), ()):
            sentence = token.doc
            if token.i + len(tail) > len(sentence):
                continue
            if [t.lower_ for t in sentence[token.i : token.i + len(tail)]] != tail:
                continue
            if lost_noun(sentence, token.i, token.i + len(tail), kept):
                return True
    return False


def lost_noun(sentence, start: int, end: int, kept: set[str]) -> bool:
    """Is the noun of the determiner at ``start`` in the source, with the
    words up to ``end``, after them and not kept? Its head, or the word right
    after them where the parse hangs the two together the wrong way round
    ("cet affreux rôle": "rôle" an amod of "affreux")."""
    noun = sentence[start].head
    if noun.i >= end and noun.pos_ in ("NOUN", "PROPN") and noun.lower_ not in kept:
        return True
    if end >= len(sentence):
        return False
    following = sentence[end]
    linked = following.head.i in range(start, end) or any(sentence[i].head.i == end for i in range(start, end))
    return following.pos_ == "NOUN" and linked and following.lower_ not in kept


SINGULAR_DETERMINERS = frozenset("le la l' un une ce cet cette mon ton son ma ta sa notre votre leur chaque".split())
PLURAL_DETERMINERS = frozenset("les des ces mes tes ses nos vos leurs plusieurs quelques".split())
# Nouns whose verb may agree with their complement: "la plupart des gens sont", "une foule de curieux
# se pressaient".
COLLECTIVE_NOUNS = frozenset(
    """plupart foule nombre moitié partie reste majorité dizaine douzaine quinzaine vingtaine trentaine centaine
    quarantaine cinquantaine soixantaine millier infinité quantité multitude troupe tas peu masse totalité poignée""".split()
)


def number_clash(doc) -> bool:
    """Do a subject and its verb, or a determiner and its noun, disagree in
    number where the morphology cannot be misread ("Cette Gauche font pis.",
    "Ces mêlée cessa.")? Only a common noun subject with a determiner whose
    number is plain (the article, the demonstrative, the possessive), no
    coordination, no collective noun or complement the verb may agree with,
    and a verb whose form says its number: every third person plural ends in
    "-nt", and a singular tagged so that does not ("il vient" does) is."""
    for subject in doc:
        if subject.dep_ not in ("nsubj", "nsubj:pass") or subject.pos_ not in ("NOUN", "PROPN"):
            continue
        determiner = next((c for c in subject.children if c.dep_ == "det" and c.i < subject.i), None)
        # A title and a name ("M. Magnus", "madame Bergmann"), or a name inside the line (a capital opening
        # it may be the tagger's only reason), and no "et" before the verb: the parse often splits
        # "Léopold-Ferdinand et Karl le Rouge".
        named = any(c.dep_ == "flat:name" for c in subject.children) or (
            subject.pos_ == "PROPN" and not is_first_word(subject)
        )
        if named and any(t.pos_ == "CCONJ" for t in doc[: subject.head.i]):
            continue
        if determiner is None and not named:
            continue
        # A name with no determiner is one person or place ("M. Magnus lui amenèrent" lost "Petit-Jeannot et").
        form = determiner.lower_ if determiner is not None else "le"
        number = "Sing" if form in SINGULAR_DETERMINERS else "Plur" if form in PLURAL_DETERMINERS else None
        if number is None:
            continue
        noun_number = [] if named else subject.morph.get("Number")  # "les Watteville": a name takes no -s
        if number == "Plur" and noun_number == ["Sing"] and not subject.lower_.endswith(("s", "x", "z")):
            return True  # "Ces mêlée"
        if noun_number and noun_number != [number]:
            continue  # the tagger and the determiner disagree: nothing plain to judge on
        if any(c.dep_ == "conj" for c in subject.children) or subject.lemma_ in COLLECTIVE_NOUNS:
            continue
        if prepositional(subject) or listed(subject):
            continue
        predicate = subject.head
        if sum(c.dep_ in SUBJECT_DEPS for c in predicate.children) > 1:
            continue  # "Les chevaux, il les aimait": the noun is detached, the pronoun is the subject
        verb = (
            predicate
            if is_finite(predicate)
            else next((c for c in predicate.children if c.dep_ in ("cop", *AUXILIARY_DEPS) and is_finite(c)), None)
        )
        if verb is None or "Fin" not in verb.morph.get("VerbForm") or verb.morph.get("Person") not in ([], ["3"]):
            continue
        if not conjugated(verb) or not next_to(subject, verb):
            continue  # "cet homme si éloquent": an adjective the tagger took for a verb
        verb_number = form_number(verb)
        if verb_number in (None, number):
            continue
        if any(c.morph.get("Number") == [verb_number] and c.i > subject.i for c in subject.children):
            continue  # "le reste des hommes sont": agreement with the complement
        return True
    return pronoun_clash(doc)


PRONOUN_NUMBERS = {"il": "Sing", "elle": "Sing", "on": "Sing", "ils": "Plur", "elles": "Plur"}


def pronoun_clash(doc) -> bool:
    """Does a third-person subject pronoun right before its verb (clitics
    between) disagree with the verb's form ("Elle prirent le ton.")?"""
    for pronoun in doc:
        number = PRONOUN_NUMBERS.get(pronoun.lower_)
        if number is None or pronoun.dep_ not in SUBJECT_DEPS:
            continue
        if pronoun.i > 0 and doc[pronoun.i - 1].pos_ in ("ADP", "CCONJ"):
            continue  # "chacune d'elles s'empara": no subject; "Stella et elle avaient": a coordination
        if any(c.dep_ == "conj" for c in pronoun.children):
            continue
        index = pronoun.i + 1
        while index < len(doc) and doc[index].lower_ in CLITICS and doc[index].pos_ != "VERB":
            index += 1
        if index >= len(doc):
            continue
        verb = doc[index]
        if not is_finite(verb) or verb.morph.get("Person") not in ([], ["3"]) or not conjugated(verb):
            continue
        if form_number(verb) not in (None, number):
            return True
    return False


def conjugated(verb) -> bool:
    """Is ``verb`` a conjugated form of a verb by the lexicon ("éloquent",
    which the tagger may read as a verb, is not)? The lexicon's table leaves
    out some forms of être and avoir ("est"), which are."""
    return verb.lemma_ in ("être", "avoir") or lexicon.is_conjugated_verb(verb.text)


def form_number(verb) -> str | None:
    """The number a finite third-person form says, whatever the tagger read,
    or None where the form could be either. Every third person plural ends
    in "-nt"; the singulars that do too are "-int" ("craint", "vint") and
    those of "sentir" and "mentir" ("consent"); "-ient" is "vient" or "ils
    rient", "ils convient" ("venaient" is plain)."""
    form, lemma = verb.lower_, verb.lemma_.lower()
    if not form.endswith("nt") or form.endswith(("int", "înt")):
        return "Sing"
    if form.endswith("ient") and not form.endswith(("aient", "oient", "uient")):
        return None
    if lemma.endswith("entir") and form == lemma[:-3] + "t":
        return "Sing"
    return "Plur"


def listed(subject) -> bool:
    """Is the subject the last of a list the parse did not see ("dont les
    mœurs et l'allure, dont la physionomie valent"): a comma, a coordinator
    or "dont" right before it?"""
    doc = subject.doc
    if any(c.dep_ == "cc" for c in subject.children):
        return True  # "Petit-Jeannot et M. Magnus": the parse made the second name the subject
    before = subject.left_edge.i - 1
    if before < 0:
        return False
    word = doc[before]
    while word.pos_ == "ADV" and word.i > 0:
        word = doc[word.i - 1]
    if word.lower_ == "dont" or word.pos_ in ("VERB", "AUX"):
        return True  # "… travailler si ardemment l'horloger devaient": the noun may be the verb's before
    joined = word.text == "," or word.pos_ == "CCONJ"
    return joined and before > 0 and doc[before - 1].pos_ in ("NOUN", "PROPN", "ADJ")


def next_to(subject, verb) -> bool:
    """Are the subject and its verb close, with no punctuation, other verb or
    pronoun between them? On a long sentence the parser often gives a verb
    a subject from another clause; only a plain "subject verb" (or "verb
    subject") is judged."""
    doc = subject.doc
    if subject.i < verb.i:
        between, limit = doc[subject.i + 1 : verb.i], 6
    else:
        between, limit = doc[verb.i + 1 : subject.left_edge.i], 4
    if len(between) > limit:
        return False
    return not any(
        t.is_punct or (t.pos_ in ("VERB", "AUX", "PRON", "SCONJ") and t.lower_ not in CLITICS) or is_finite(t)
        for t in between
    )  # "M. Magnus lui amenèrent": clitics stand between a subject and its verb


def verbs_by_form(source: Sequence) -> dict[str, list]:
    verbs: dict[str, list] = {}
    for doc in source:
        for token in doc:
            if token.pos_ in ("VERB", "AUX"):
                verbs.setdefault(token.lower_, []).append(token)
    return verbs


def lost_in_line(token, sources: Sequence) -> bool:
    """Did ``token``'s verb have, in its source sentence, an object or
    complement whose word the line has not kept, while the line gives it
    none? Only when the form is the source's once: a verb met twice could
    be either."""
    if len(sources) != 1:
        return False
    original = sources[0]
    needed = [
        child
        for child in original.children
        if child.dep_ in COMPLEMENT_DEPS and child.lower_ not in OBJECT_CLITICS and not child.is_punct
    ]
    if not needed:
        return False
    kept = {t.lower_ for t in token.doc}
    if any(child.lower_ in kept for child in needed):
        return False
    return not has_complement(token, reflexive=not any(c.lower_ in REFLEXIVES for c in original.children))


def has_complement(token, *, reflexive: bool = True) -> bool:
    """Does the verb have an object or complement in the line? Read
    generously, as the parser mislabels objects on literary French: a word
    it governs after it with no preposition but a partitive "de" ("mettre
    mille écus", "éprouva de cruelles souffrances"), an infinitive or clause
    it governs, an object clitic or "rien" just before it ("il la retint",
    "les avoir éprouvées", "ne rien exprimer"), a relative "que" whose
    clause it is in ("ce qu'il accusait"), "se" where ``reflexive`` lets it
    count, or an object it shares with a verb it is coordinated with ("il
    saisit et retint sa main")."""
    coordinated = [c for c in token.children if c.dep_ == "conj"] + ([token.head] if token.dep_ == "conj" else [])
    for node in (token, *coordinated):
        for child in node.children:
            if child.lower_ in REFLEXIVES and not reflexive:
                continue
            if child.dep_ in COMPLEMENT_DEPS:
                return True
    if any(bare_complement(word) for word in token.subtree if word.i > token.i):
        return True
    doc = token.doc
    for before in doc[max(0, token.i - 4) : token.i]:
        form = before.lower_
        if form in REFLEXIVES and not reflexive:
            continue
        # The tagger reads "le trouvais" as an article: a clitic is what stands right before a verb.
        clitic = before.pos_ == "PRON" or (
            before.i + 1 < len(doc) and doc[before.i + 1].pos_ in ("VERB", "AUX", "PRON")
        )
        if (clitic and form in OBJECT_CLITICS - RELATIVE_QUE) or form in QUANTITIES:
            return True
    return object_follows(token) or in_relative_on_its_object(token)


def object_follows(token) -> bool:
    """Does a direct object follow the verb in French word order, whatever
    the parse says ("ils peuvent bien mettre mille écus": the parser hangs
    the object on the modal)? After the adverbs, a determiner, a noun, a
    name, a pronoun, a number or a partitive "de" opens one; a preposition,
    a punctuation mark or the line's end says there is none."""
    doc = token.doc
    index = token.i + 1
    while index < len(doc):
        word = doc[index]
        if word.pos_ == "ADV" and word.lower_ not in QUANTITIES:
            index += 1
        elif word.text == "," and index + 1 < len(doc) and doc[index + 1].pos_ in ("VERB", "ADP"):
            # "retenait, repoussait …", "aperçut, en ouvrant les yeux, …": what follows the aside.
            closing = next((t.i for t in doc[index + 2 :] if t.text == ","), None)
            index = closing + 1 if doc[index + 1].pos_ == "ADP" and closing is not None else index + 2
        else:
            break
    if index >= len(doc):
        return False
    word = doc[index]
    if word.lower_ in QUANTITIES or word.lower_ in ("de", "d'", "du", "des"):
        return True
    return word.pos_ in ("DET", "NOUN", "PROPN", "PRON", "NUM", "ADJ") and word.lower_ not in ("y", "lui", "leur")


def bare_complement(word) -> bool:
    """A noun, name, pronoun or number no preposition governs (a partitive
    "de" apart), or a quantity ("trop de choses")."""
    if word.lower_ in QUANTITIES:
        return True
    if word.pos_ not in ("NOUN", "PROPN", "PRON", "NUM") or word.lower_ in ("y", "lui", "leur"):
        return False
    if word.dep_ in SUBJECT_DEPS or word.lower_ in RELATIVE_OPENERS:
        return False
    cases = [c.lower_ for c in word.children if c.dep_ == "case" and c.i < word.i]
    return all(case in ("de", "d'", "du", "des") for case in cases) and not prepositional(word)


QUANTITIES = frozenset("rien tout trop beaucoup peu assez tant autant plus moins".split())


def in_relative_on_its_object(token) -> bool:
    """Is ``token`` in a relative clause whose "que" is its object ("les
    lettres que monsieur Savaron fera mettre")? Its object is the antecedent.
    A "que" right after a noun or a pronoun ("le fiacre qu'ils
    rencontrèrent", "ce que") is a relative, whatever the parse."""
    doc = token.doc
    for before in doc[max(1, token.i - 5) : token.i]:
        if before.lower_ not in RELATIVE_QUE:
            continue
        if doc[before.i - 1].pos_ in ("NOUN", "PROPN", "PRON", "ADJ") or any(
            t.pos_ == "DET" for t in doc[max(0, before.i - 3) : before.i]
        ):
            return True  # the tagger may misread the noun itself ("le premier fiacre qu'…")
    node = token
    for _ in range(3):
        if any(c.lower_ in RELATIVE_QUE and c.i < node.i for c in node.children) and (
            node.dep_ == "acl:relcl" or any("Rel" in c.morph.get("PronType") for c in node.children)
        ):
            return True
        if node.head is node:
            return False
        node = node.head
    return False


RELATIVE_QUE = frozenset({"que", "qu'"})


def passive_or_adjectival(token) -> bool:
    """A participle whose object is its subject ("il fut retenu") or its noun
    ("la place retenue"). The tagger reads some passés simples as participles
    ("put", "retint"): a finite reading keeps them verbs."""
    if any(
        child.dep_ == "aux:pass" or (child.dep_ in ("cop", *AUXILIARY_DEPS) and child.lemma_ == "être")
        for child in token.children
    ):
        return "Part" in token.morph.get("VerbForm") or any(child.dep_ == "aux:pass" for child in token.children)
    return (
        "Part" in token.morph.get("VerbForm")
        and not any(child.dep_ in AUXILIARY_DEPS for child in token.children)
        and not is_finite(token)
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
        source = Source.of(source_docs)
        total = total + Judgement(
            lines_judged=len(line_docs),
            complete_lines=sum(verdict(doc, source).complete for doc in line_docs),
            source_sentences=len(source_docs),
            complete_source_sentences=sum(verdict(doc).complete for doc in source_docs),
            source_content=content.source,
            kept_content=content.kept,
            output_content=content.output,
            invented_content=content.invented,
        )
    return total
