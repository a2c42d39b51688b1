"""Simplify: one long source sentence → short sentences that each read as a
sentence on their own (SPEC §8, ``rewrite=simplify``).

The sentence is cut between its whitespace-separated words, as in the
faithful split, but every piece is *repaired* into a sentence before it is
scored, with the words French grammar needs and nothing else:

* a coordinator that opened the piece goes ("et") or opens the sentence
  ("Mais", "Puis", "Donc"): ``drop_coordinator``;
* a relative clause gets its antecedent back, with the preposition that
  "dont" or "où" stands for ("qui possède…" → "Cet homme possède…",
  "où il vivait" → "Il vivait dans cette maison"): ``restore_antecedent``;
* a subordinate clause cut from its main clause loses its subordinator, and
  a connective that keeps the meaning opens the clause it depended on or
  itself ("Quand il entra, | il salua" → "Il entra. Alors, il salua.";
  "…, parce qu'il pleuvait" → "En effet, il pleuvait."): ``subordinate``;
* a verb that shares its subject with an earlier one gets the subject
  back, as a pronoun of the right person, gender and number, or the noun
  phrase itself where a pronoun could not say who ("Il entra et salua la
  baronne" → "Il entra. Il salua la baronne."): ``restore_subject``;
* the piece starts with a capital, after its dialogue mark, ends with a
  sentence mark, and has its guillemets closed: ``finish``.

The cuts are chosen by dynamic programming over the sentence's words (each
state also carries the connective that a cut subordinate clause hands on to
the next piece): a piece that is predicted to be a complete sentence costs
much less than a fragment, a cut at a clause boundary less than one inside a
phrase, and every piece a little (fewer are better). Added words count
toward the limit, and a piece is always possible unrepaired, so the limit
always holds. The prediction uses the parse of the whole sentence; the
judge (``quality``) re-reads each line alone.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from jobs.pipeline import lexicon, quality
from jobs.pipeline.words import HAS_WORD, count_words

PIECE_COST = 2.0
FRAGMENT_COST = 12.0
IMBALANCE_COST = 2.0
ADDED_WORD_COST = 0.3
# Cut before word j: after ; or : < a clause boundary < a comma < a phrase boundary < inside a phrase.
CUT_COST = {4: 0.0, 3: 0.5, 2: 1.0, 1: 3.0, 0: 8.0}
# A cut that leaves a word without what it leads to ("une vieille | maison"),
# or a subject without its verb: allowed when nothing else fits, but dear.
DANGLING_COST = 16.0
LOOSE_COST = 4.0
# A piece may hold this many words more than the limit before its repair,
# which can fit it by what it leaves out ("parce que" → "Car", an adverb).
SLACK = 2
# The repairs tried in turn until one fits: (adverbs left out, a pronoun for the antecedent).
TRIMS = ((0, False), (0, True), (1, False), (1, True), (2, False), (2, True), (3, False), (3, True))
# Leaving out an adjective loses content (the judge counts it): dearer than an adverb, cheaper than a fragment.
TRIM_COST = {0: 0.0, 1: 1.0, 2: 2.5, 3: 6.0}
PRONOUN_COST = 0.5
DROPPED_CARRY_COST = 1.5
# Adverbs left out when a clause cannot fit otherwise: of degree first, then
# of time, manner and frequency. Negation ("pas", "jamais") is never touched.
DEGREE_ADVERBS = frozenset("très fort bien si trop assez tellement plutôt presque vraiment extrêmement tant".split())
OTHER_ADVERBS = frozenset("souvent toujours déjà encore longtemps enfin parfois bientôt même alors ensuite".split())
# Adverbial locutions a cut may not split, written as whitespace groups.
LOCUTIONS = tuple(
    tuple(phrase.split())
    for phrase in (
        "tout à coup",
        "tout d'un coup",
        "tout de suite",
        "tout à fait",
        "tout à l'heure",
        "à peu près",
        "peu à peu",
        "de temps en temps",
        "tout de même",
        "à la fois",
        "au fur et à mesure",
        "parce que",
    )
)
# What follows an adverb in a fixed phrase that needs it ("bien de", "bien des", "bien que").
FIXED_TAILS = frozenset({"de", "d'", "des", "du", "que", "qu'"})

# Words that modify the adjective after them, whatever the tagger reads them as ("quasi" is often an ADJ).
ADJECTIVE_MODIFIERS = frozenset("quasi très si trop assez fort bien presque aussi tout non".split())
COORDINATORS = {"et": "", "mais": "Mais", "puis": "Puis", "donc": "Donc", "or": "Or", "car": "Car", "ou": "Ou"}
SUBJECT_DEPS = frozenset({"nsubj", "nsubj:pass", "expl:subj", "expl", "csubj"})
OBJECT_DEPS = frozenset({"obj", "iobj"})
# The parser reads some subject pronouns as expletives ("il s'habillait": expl:subj); they are shared all the same.
SHARED_SUBJECT_DEPS = frozenset({"nsubj", "nsubj:pass", "expl:subj"})

# A subordinate clause cut off from its main clause: what opens the main
# clause when the subordinate comes first, and what opens the subordinate
# when it comes after. None: no connective keeps the meaning ("si", "pour
# que" need the subjunctive or a condition), so the clause stays attached.
SUBORDINATORS: dict[str, tuple[str | None, str | None]] = {
    "quand": ("Alors,", "À ce moment-là,"),
    "lorsque": ("Alors,", "À ce moment-là,"),
    "lorsqu'": ("Alors,", "À ce moment-là,"),
    "dès que": ("Aussitôt,", None),
    "dès qu'": ("Aussitôt,", None),
    "aussitôt que": ("Aussitôt,", None),
    "aussitôt qu'": ("Aussitôt,", None),
    "parce que": ("C'est pourquoi", "Car"),
    "parce qu'": ("C'est pourquoi", "Car"),
    "puisque": ("Donc", "Car"),
    "puisqu'": ("Donc", "Car"),
    "comme": (None, None),
    "pendant que": ("Pendant ce temps,", "Pendant ce temps,"),
    "pendant qu'": ("Pendant ce temps,", "Pendant ce temps,"),
    "tandis que": ("Pendant ce temps,", "Pendant ce temps,"),
    "tandis qu'": ("Pendant ce temps,", "Pendant ce temps,"),
    "après que": ("Ensuite,", None),
    "après qu'": ("Ensuite,", None),
    "alors que": ("Pourtant,", "Pourtant,"),
    "alors qu'": ("Pourtant,", "Pourtant,"),
}
# After "C'est pourquoi" the clause keeps its word order; a comma-connective is followed by one.
TEMPORAL_NOUNS = frozenset(
    "jour soir matin nuit moment instant heure temps époque année an fois minute siècle saison mois semaine "
    "été hiver printemps automne midi minuit lendemain veille".split()
)
# Temporal nouns that take "à" as an adverbial: "à ce moment-là" (but "ce jour-là").
POINT_IN_TIME_NOUNS = frozenset({"moment", "instant", "heure", "époque", "minute", "seconde"})
MONTHS = frozenset("janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split())
NEGATION_TAILS = frozenset({"pas", "point", "jamais", "plus", "guère", "rien"})
PRONOUN_NUMBER = {"il": "Sing", "elle": "Sing", "ils": "Plur", "elles": "Plur"}
# A finite form that ends so is of the third person ("répliqua", "dit",
# "avait"); no form of "je" or "tu" does. Read from the form: the tagger
# often gives a passé simple the wrong person ("trouvâmes", "ouvris").
THIRD_PERSON_ENDINGS = ("a", "t")
SUBJECT_PRONOUN_FORMS = frozenset({"je", "j'", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles"})
DIALOGUE_MARK = re.compile(r"^\s*([–—―]|--?)\s*")
VOWEL_START = re.compile(r"^[aeiouyhàâäéèêëîïôöùûüœæ]", re.IGNORECASE)
OPENING = re.compile(r"^[«“\"(\[–—―-]+$")
CLOSING_PUNCT = re.compile(r"[\s,;:–—―-]+$")
END_MARKS = (".", "!", "?", "…")


@dataclass
class Group:
    """One whitespace-separated word of the sentence and its spaCy tokens."""

    start: int
    end: int
    tokens: list = field(default_factory=list)
    word: bool = True


@dataclass(frozen=True)
class Piece:
    text: str
    words: int
    complete: bool
    added: int
    carry: str | None = None  # connective for the next piece, or ANNOUNCED
    penalty: float = 0.0  # what the repair gave up to fit


class Sentence:
    """The parse of one long sentence, read as whitespace groups."""

    def __init__(self, doc):
        self.doc = doc
        # The tokens once: a Doc makes a new Token at every index or slice, and the programme reads them often.
        self.tokens = list(doc)
        self.text = doc.text
        self.groups: list[Group] = [Group(m.start(), m.end()) for m in re.finditer(r"\S+", self.text)]
        owner = {}
        for index, group in enumerate(self.groups):
            group.word = bool(HAS_WORD.search(self.text[group.start : group.end]))
            for char in range(group.start, group.end):
                owner[char] = index
        self.group_of = [owner[token.idx] for token in doc]
        for token in doc:
            self.groups[self.group_of[token.i]].tokens.append(token)
        self.dialogue = DIALOGUE_MARK.match(self.text) is not None
        self.heads = [token.head.i for token in self.tokens]
        self.deps = [token.dep_ for token in self.tokens]
        self.tags = [token.pos_ for token in self.tokens]
        self.lemmas = [token.lemma_ for token in self.tokens]
        self.lowers = [token.lower_ for token in self.tokens]
        self.punct = [token.is_punct for token in self.tokens]
        # Words the author writes unelided after "de", "le", "je"…: "de huit", "le héros".
        self.aspirated = frozenset(
            m.group(1).lower()
            for m in re.finditer(r"\b(?:[djlmnst]e|la|que) ([aeiouyhàâéèêîôû][\w-]*)", self.text, re.I)
        )
        # Each group's word as the locutions are written: "qu'il" reads "que".
        self.group_words = [
            re.sub(r"^qu'.*", "que", self.text[g.start : g.end].lower().strip(",;:.!?…»")) for g in self.groups
        ]
        self.tiers = self._cut_tiers()

    # -- where a cut may go ------------------------------------------------

    def _cut_tiers(self) -> list[int]:
        tiers = [0] * (len(self.groups) + 1)
        text = self.text

        def raise_tier(position: int, tier: int) -> None:
            if 0 < position < len(self.groups):
                tiers[position] = max(tiers[position], tier)

        for token in self.doc:
            j = self.group_of[token.i]
            starts_group = self.groups[j].start == token.idx
            if starts_group and token.pos_ in ("ADP", "CCONJ", "SCONJ") and token.head.pos_ != "PROPN":
                raise_tier(j, 1)
            clause_cc = token.dep_ == "cc" and quality.is_finite_clause(token.head)
            if starts_group and (token.dep_ == "mark" or clause_cc or token.lower_ in quality.RELATIVE_OPENERS):
                raise_tier(j, 3)  # not "désertes | et silencieuses": that "et" joins two adjectives
            if starts_group and quality.is_finite(token) and token.dep_ in ("conj", "parataxis", "advcl", "ccomp"):
                raise_tier(self.group_of[token.left_edge.i], 3)
        for j in range(1, len(self.groups)):
            before = text[self.groups[j - 1].start : self.groups[j - 1].end]
            if before.endswith((";", ":")) or (before.endswith(("!", "?", "…", "...")) and j < len(self.groups)):
                raise_tier(j, 4)
            elif before.endswith(","):
                raise_tier(j, 2)
        return tiers

    def dangling(self, j: int) -> float:
        """What a cut before group ``j`` costs for leaving a word without what
        it leads to: dear inside a phrase ("une vieille | maison"), less
        between a subject or a verb and what completes it."""
        if j <= 0 or j >= len(self.groups):
            return 0.0
        last = self.groups[j - 1].tokens[-1]
        nxt = self.groups[j].tokens[0]
        if OPENING.match(self.text[self.groups[j - 1].start : self.groups[j - 1].end]):
            return DANGLING_COST
        if not self.groups[j].word and not OPENING.match(nxt.text):
            return DANGLING_COST  # a piece never starts with closing punctuation
        if reporting_verb(nxt):
            return DANGLING_COST  # "– Oui, | dit-il", "longtemps ? | reprit-il": the reply keeps its reporting clause
        if self.joined_to_what_precedes(nxt) or self.inside_a_locution(j):
            return DANGLING_COST  # "tout | à coup", "parce | que", "Karl | le Rouge": one phrase, one piece
        if last.is_punct:
            return 0.0
        if last.pos_ in ("DET", "ADP", "CCONJ", "SCONJ") or last.lower_ in ("ne", "n'"):
            return DANGLING_COST
        if last.dep_ in ("det", "amod", "nummod") and last.head.i > last.i:
            return DANGLING_COST  # "toute | la ville", "trente-six | francs", "une vieille | maison"
        if last.pos_ == "PRON" and (last.head.i > last.i or last.lower_ == "ce"):
            return DANGLING_COST
        if last.pos_ == "AUX" and last.head.i > last.i:
            return DANGLING_COST
        if nxt.lower_ == "où" and last.lower_ in POINT_IN_TIME_NOUNS:
            return DANGLING_COST  # "au moment | où": "Il entra au moment." says nothing
        if nxt.lower_ in NEGATION_TAILS and (
            quality.is_finite(last) or any(t.lower_ in ("ne", "n'") for t in self.tokens[max(0, nxt.i - 4) : nxt.i])
        ):
            return DANGLING_COST  # "ne connaissait | pas", "Tu ne connais donc | pas ton histoire"
        if self.opens_what_follows(last, nxt):
            return DANGLING_COST
        if nxt.lower_ in ("que", "qu'") and any(
            t.lower_ in ("ne", "n'") for t in self.tokens[max(0, nxt.i - 5) : nxt.i]
        ):
            return DANGLING_COST  # "ne connaissait | que": "ne … que" stays whole
        if nxt.dep_ == "case" and nxt.head.dep_ in ("nmod", "flat:name") and nxt.head.head.i == nxt.i - 1:
            return DANGLING_COST  # "madame | de Watteville"
        if self.complement_of_verb_before(nxt):
            return LOOSE_COST  # "Je ne sais pas | ce que vous voulez dire", "attendait | le retour de son père"
        if self.subject_before_its_verb(last):
            return LOOSE_COST  # "mais sa mère | le retint": the subject stays with its verb
        return 0.0

    def joined_to_what_precedes(self, token) -> bool:
        """Is ``token`` the next word of a fixed phrase or a name whose head
        is right before it, through words of the same phrase ("parce | que",
        "Karl le | Rouge")? Not a far head the parse joined it to by mistake."""
        if self.deps[token.i] not in ("fixed", "flat:name") or self.heads[token.i] >= token.i:
            return False
        head = self.heads[token.i]
        if self.lowers[head] == "bien" and self.lowers[token.i] in ("que", "qu'"):
            return False  # "vous savez bien | que…" or "bien que" (although): the parse cannot tell them apart
        return all(self.heads[i] == head and self.deps[i] in ("fixed", "flat:name") for i in range(head + 1, token.i))

    def inside_a_locution(self, j: int) -> bool:
        """Is the cut before group ``j`` inside one of LOCUTIONS, which the
        parse does not always join ("Puis elle disparut tout. | À coup…")?"""
        words = self.group_words
        for locution in LOCUTIONS:
            for k in range(1, len(locution)):
                before, after = locution[:k], locution[k:]
                if j >= k and tuple(words[j - k : j]) == before and tuple(words[j : j + len(after)]) == after:
                    return True
        return False

    def opens_what_follows(self, last, nxt) -> bool:
        """Does ``last`` lead to ``nxt`` so that a cut between them leaves bad
        French, not just a fragment: "que", "qui", "dont" ("ne s'occupait que
        | des deux plans"), "être" before its attribute or place ("mais elle
        est | dans certaines séances"), "ce que" and its verb before its
        subject ("ce qu'est | au Théâtre une répétition"), a word before the
        noun the parse hangs on it ("cet affreux | rôle")?"""
        if last.lower_ in ("que", "qu'", "qui", "dont"):
            return True
        predicate = last.lemma_ == "être" and last.dep_ not in ("cop", *quality.AUXILIARY_DEPS)
        if predicate and any(c.i >= nxt.i and not c.is_punct for c in last.children):
            return True
        before = [t.lower_ for t in self.tokens[max(0, last.i - 2) : last.i]]
        if quality.is_finite(last) and len(before) == 2 and before[0] in ("ce", "c'") and before[1] in ("que", "qu'"):
            return True
        return nxt.pos_ == "NOUN" and nxt.dep_ == "amod" and nxt.head is last

    def complement_of_verb_before(self, token) -> bool:
        """Does ``token`` open the object or complement clause of a verb before it?"""
        head = token
        while head.dep_ in ("det", "amod", "case", "nummod", "advmod") and head.head.i > head.i:
            head = head.head
        return (
            head.dep_ in ("obj", "xcomp", "ccomp", "iobj")
            and head.head.i < token.i
            and head.head.pos_ in ("VERB", "AUX")
        )

    def subject_before_its_verb(self, token) -> bool:
        """Is ``token`` the end of a subject whose verb follows with no comma between?"""
        head = token
        while head.head.i < head.i + 20 and head.dep_ not in ("nsubj", "nsubj:pass") and head.head is not head:
            if head.head.i > token.i or head.dep_ in ("ROOT", "conj", "parataxis", "advcl", "acl:relcl"):
                break
            head = head.head
        return head.dep_ in ("nsubj", "nsubj:pass") and head.head.i > token.i and head.lower_ not in ("qui",)

    # -- the dynamic programme -------------------------------------------

    def simplify(self, limit: int) -> list[str]:
        n = len(self.groups)
        word_sum = [0]
        for group in self.groups:
            word_sum.append(word_sum[-1] + group.word)
        # What a cut before each group costs, once: the programme asks for it from every state before it.
        cut_costs = [CUT_COST[self.tiers[j]] + self.dangling(j) for j in range(n)]
        best: dict[tuple[int, str | None], tuple[float, tuple[int, str | None] | None, Piece | None]] = {
            (0, None): (0.0, None, None)
        }
        for start in range(n):
            for state in [key for key in best if key[0] == start]:
                cost_so_far = best[state][0]
                carry = state[1]
                for end in range(start + 1, n + 1):
                    words = word_sum[end] - word_sum[start]
                    if words > limit + SLACK:
                        break
                    if words == 0 and end < n:
                        continue
                    cut_cost = cut_costs[end] if end < n else 0.0
                    for piece in self.pieces(start, end, carry, limit):
                        cost = cost_so_far + self.piece_cost(piece, limit) + cut_cost
                        key = (end, piece.carry if end < n else None)
                        if key not in best or cost < best[key][0]:
                            best[key] = (cost, state, piece)
        if (n, None) not in best:
            # Every cut was dangling somewhere: cut anywhere, repaired as well as can be.
            return self.anywhere(limit)
        lines: list[str] = []
        key: tuple[int, str | None] | None = (n, None)
        while key is not None and best[key][2] is not None:
            lines.append(best[key][2].text)
            key = best[key][1]
        return lines[::-1]

    def anywhere(self, limit: int) -> list[str]:
        lines, start, words = [], 0, 0
        for index, group in enumerate(self.groups):
            if words + group.word > limit:
                lines.append(self.raw(start, index))
                start, words = index, 0
            words += group.word
        lines.append(self.raw(start, len(self.groups)))
        return lines

    @staticmethod
    def piece_cost(piece: Piece, limit: int) -> float:
        cost = PIECE_COST + IMBALANCE_COST * ((limit - piece.words) / limit) ** 2 + ADDED_WORD_COST * piece.added
        cost += piece.penalty
        return cost if piece.complete else cost + FRAGMENT_COST

    # -- one piece ---------------------------------------------------------

    def raw(self, start: int, end: int) -> str:
        return finish(self.text[self.groups[start].start : self.groups[end - 1].end], last=end == len(self.groups))

    def pieces(self, start: int, end: int, carry: str | None, limit: int) -> list[Piece]:
        """The ways to make groups ``start:end`` a sentence: as it is, and
        repaired with the fewest changes that fit the limit. What a repair
        may give up to fit, in order: an adverb of degree ("très"), another
        adverb, a noun's name for a pronoun where a pronoun is clear, and a
        connective handed on by the piece before (the order of the two
        sentences still says "then"); each costs a little."""
        raw_words = sum(group.word for group in self.groups[start:end])
        options = [Piece(self.raw(start, end), raw_words, False, 0)] if raw_words <= limit else []
        removable = sum(t.pos_ in ("ADV", "ADJ") for g in self.groups[start:end] for t in g.tokens)
        for keep_carry in (True, False) if carry else (True,):
            for trim, pronoun in TRIMS:
                repair = Repair(self, start, end, carry if keep_carry else None, trim=trim, pronoun=pronoun)
                repaired = repair.build()
                if repaired is None:
                    break  # no trim mends what the repair cannot do
                if trim and repaired.words - limit > removable:
                    continue  # leaving adverbs out cannot fit what is far too long
                if repaired.words <= limit:
                    penalty = TRIM_COST[trim] + PRONOUN_COST * pronoun + (0 if keep_carry else DROPPED_CARRY_COST)
                    options.append(dataclasses.replace(repaired, penalty=repaired.penalty + penalty))
                    return options
        return options


class Repair:
    """Make groups ``start:end`` of a sentence a sentence of its own, or say it cannot."""

    def __init__(
        self, sentence: Sentence, start: int, end: int, carry: str | None, *, trim: int = 0, pronoun: bool = False
    ):
        self.s = sentence
        self.trim = trim
        self.pronoun = pronoun
        self.start, self.end = start, end
        self.first = sentence.groups[start].tokens[0].i
        self.last = sentence.groups[end - 1].tokens[-1].i
        self.carry = carry
        self.prefix: list[str] = [carry] if carry else []
        self.removed: set[int] = set()  # token indexes left out
        self.inserted: dict[int, str] = {}  # after token index → words
        self.replaced: dict[int, str] = {}  # token index → words
        self.next_carry: str | None = None
        self.named = False  # the relative pronoun opening the piece became a name
        self.announced: set[int] = set()  # clauses after the piece that its "ceci" stands for

    def inside(self, token) -> bool:
        return self.first <= token.i <= self.last

    def build(self) -> Piece | None:
        tokens = [t for t in self.s.tokens[self.first : self.last + 1] if not t.is_punct]
        if not tokens:
            return None
        opener = tokens[0]
        if opener.lower_ in COORDINATORS and opener.dep_ == "cc" and len(tokens) > 1:
            self.drop_coordinator(opener)
            opener = tokens[1]
        if self.s.dialogue and quality.is_finite(opener) and opener.lemma_ in REPORTED_OBJECT:
            reported = self.reported(opener)
            if reported is not None:
                return reported
        main = None
        if opener.lower_ in quality.RELATIVE_OPENERS and (opener.dep_ != "mark" or relative_que(opener)):
            main = self.restore_antecedent(opener)
            if main is None:
                return None
        elif (quality.is_subordinator(opener) or opener.pos_ == "SCONJ") and not introduces_infinitive(opener):
            main = self.subordinate(opener)
            if main is None:
                return None
        if main is None:
            main = self.main_verb()
            if main is None:
                if self.setting() is None and not self.attribute() and not self.restate():
                    return None
                return self.finished()
        if reporting_verb(main) and main.i == opener.i and self.s.dialogue:
            return None  # "Dit-il." alone is no sentence (``reported`` above rewrites what it can)
        if main.lemma_ in REPORTING_LEMMAS and opener.pos_ == "ADP" and self.s.tokens[main.i - 1].text == ",":
            return None  # "– Dans ma maison, dit-il.": a piece of the reply, with no verb of its own
        if opener.lower_ in ("ce", "c'") and quality.headless_relative(
            [t for t in self.s.tokens[self.first : self.last + 1] if not t.is_punct]
        ):
            return None  # "Ce qu'est au Théâtre une répétition générale": no main clause
        predicate = main.head if main.dep_ in ("cop", *quality.AUXILIARY_DEPS) else main
        negation = [
            c for c in (*main.children, *predicate.children) if c.lower_ in ("ne", "n'", *NEGATION_TAILS, "que")
        ]
        if any(
            not self.inside(c) for c in negation if c.dep_ in ("advmod", "mark", "fixed") or c.lower_ in ("ne", "n'")
        ):
            return None  # "ne … que", "ne … pas" split across the cut
        restricted = any(self.s.tokens[i].lower_ in ("ne", "n'") for i in range(self.first, main.i + 1))
        if restricted and any(
            t.lower_ in ("que", "qu'") and t.i > self.last and not (t.dep_ == "mark" and t.head.dep_ == "conj")
            for t in predicate.subtree
        ):
            return None  # "ne connaissait | que les montagnes"
        if not self.restore_subject(main):
            return None
        if self.half_a_coordination(main):
            return None
        return self.finished()

    def reported(self, verb) -> Piece | None:
        """A reporting clause that cannot stay with its reply (the two are
        over the limit together) becomes a sentence of narration, its
        subject first: "– Assez, Philomène ! | dit la baronne" → "La
        baronne le dit."; "…, | répliqua sèchement madame de Watteville" →
        "Madame de Watteville répliqua sèchement."; "…, | dit-il en
        souriant" → "Il le dit en souriant.". "Le" stands for the reply
        where the verb needs an object. Read from the words' order, not the
        parse, which often takes an inverted subject for an object; only a
        clause of the verb, its adverbs or a gerund and its subject (a
        pronoun, a name, a noun with its determiner or title) is rewritten."""
        words = [t for t in self.s.tokens[self.first : self.last + 1] if t.i not in self.removed]
        while words and words[-1].is_punct:
            words.pop()
        before = self.s.tokens[self.first - 1] if self.first > 0 else None
        if before is None or before.text not in (",", "!", "?", "…", "...") or verb.lemma_ not in REPORTED_OBJECT:
            return None
        rest = words[1:]
        inverted = rest[0] if rest and quality.INVERTED_SUBJECTS.match(rest[0].text) else None
        if inverted is not None:
            subject, rest = inverted.text.lstrip("-").removeprefix("t-"), rest[1:]
        manner: list[str] = []
        while rest and (rest[0].pos_ == "ADV" or (rest[0].lower_ == "en" and len(rest) > 1)):
            if rest[0].lower_ == "en":
                if "Part" not in rest[1].morph.get("VerbForm"):
                    break
                manner.append(f"en {rest[1].text}")
                rest = rest[2:]
            else:
                manner.append(rest[0].text)
                rest = rest[1:]
        if inverted is None:
            if not rest or not (rest[0].pos_ in ("DET", "PROPN") or rest[0].lower_ in TITLES):
                return None
            if any(t.pos_ not in NAME_PARTS and t.text != "-" for t in rest):
                return None  # more than a subject: another clause, a complement
            subject = self.s.text[rest[0].idx : rest[-1].idx + len(rest[-1].text)]
        elif rest:
            return None
        obj = REPORTED_OBJECT[verb.lemma_]
        body = " ".join(part for part in (subject, obj, verb.text, *manner) if part)
        text = finish(elide(body, self.s.aspirated, self.s.text), last=True)
        return Piece(
            text=text,
            words=count_words(text),
            complete=True,
            added=count_words(text) - sum(g.word for g in self.s.groups[self.start : self.end]),
            penalty=REPORTED_COST,
        )

    def half_a_coordination(self, main) -> bool:
        """Did the cut leave a plural verb with the second half of its
        coordinated subject ("Petit-Jeannot | et M. Magnus lui amenèrent
        Darius" → "M. Magnus lui amenèrent Darius.")? The piece opened on
        "et" or "ou" after a noun, and its one subject is a singular noun
        or name."""
        first = self.s.tokens[self.first]
        if first.lower_ not in ("et", "ou") or self.first == 0 or self.s.tags[self.first - 1] not in ("NOUN", "PROPN"):
            return False
        predicate = main.head if main.dep_ in ("cop", *quality.AUXILIARY_DEPS) else main
        subjects = [c for c in predicate.children if c.dep_ in ("nsubj", "nsubj:pass") and self.inside(c)]
        if len(subjects) != 1 or subjects[0].pos_ not in ("NOUN", "PROPN") or coordinated(subjects[0]):
            return False
        return quality.form_number(finite_of(main)) == "Plur" and "Plur" not in subjects[0].morph.get("Number")

    def finished(self) -> Piece | None:
        if self.trim:
            self.leave_out_adverbs()
        self.announce_clause()
        if not self.keeps_verb_frames() or not self.keeps_phrases() or not self.keeps_clitics():
            return None
        text = self.render()
        return Piece(
            text=text,
            words=count_words(text),
            complete=True,
            added=count_words(text) - sum(g.word for g in self.s.groups[self.start : self.end]),
            carry=self.next_carry,
        )

    def keeps_clitics(self) -> bool:
        """Does every verb of the piece keep the clitics before it ("puis se
        | gratta le nez": "Il gratta le nez." has lost its "se")?"""
        return not any(
            token.pos_ in ("VERB", "AUX")
            and token.i not in self.removed
            and any(c.i < self.first and c.pos_ == "PRON" and c.lower_ in quality.CLITICS for c in token.children)
            for token in self.s.tokens[self.first : self.last + 1]
        )

    def keeps_verb_frames(self) -> bool:
        """Does every verb of the piece keep its object, its infinitive or
        clause complement ("s'empêcher | de jeter", "avait retenu | Mlle
        Berthe", "savait | que…"), and its subject (the main verb's is
        restored by ``restore_subject``)? A verb without them is no French
        sentence, whatever else the repair mends; the piece is then a
        fragment, and the programme looks for other cuts."""
        for token in self.s.tokens[self.first : self.last + 1]:
            if token.pos_ not in ("VERB", "AUX") or token.i in self.removed:
                continue
            for child in token.children:
                lost = child.dep_ in quality.COMPLEMENT_DEPS and not self.inside(child)
                if lost and child.i not in self.announced and consecutive_mark(child) is None:
                    return False
                outside = child.dep_ in ("nsubj", "nsubj:pass", "csubj") and not self.inside(child)
                if outside and not self.subject_restored(token):
                    return False
        return True

    def keeps_phrases(self) -> bool:
        """Does the piece keep what its words lead to? A determiner or an
        adjective keeps its noun ("cet affreux | rôle"), an auxiliary or a
        copula its verb or attribute, "être" its place or attribute ("mais
        elle est | dans certaines séances"), and the piece does not end on a
        word that opens what was cut ("ne s'occupait que | des deux plans",
        "ce qu'est | au Théâtre …", "les lettres qui | …"). The judge, reading
        the line alone, calls each of these a fragment."""
        s, removed = self.s, self.removed
        # Read from the sentence's plain lists: this runs for every repaired piece.
        kept = [i for i in range(self.first, self.last + 1) if i not in removed]
        for i in kept:
            dep = s.deps[i]
            if dep in LEADING_DEPS:
                head = s.heads[i]
                head_lost = not self.first <= head <= self.last or head in removed
                if head_lost and (dep in ("cop", *quality.AUXILIARY_DEPS) or s.tags[head] == "NOUN"):
                    return False
            elif s.lemmas[i] == "être" and self.lost_attribute(s.tokens[i]):
                return False
            elif dep == "conj" and s.deps[s.heads[i]] in SUBJECT_DEPS and not self.first <= s.heads[i] <= self.last:
                return False  # "Petit-Jeannot et | M. Magnus lui amenèrent": a subject cut from its coordination
        words = [i for i in kept if not s.punct[i]]
        if not words:
            return True
        last = words[-1]
        following = self.last + 1
        inverted = following < len(s.tokens) and s.tags[following] == "NOUN" and s.deps[following] == "amod"
        if inverted and s.heads[following] == last:
            return False  # "cet affreux | rôle", parsed the wrong way round
        tokens = [s.tokens[i] for i in words]
        if any(s.lowers[i] in ("ne", "n'") for i in words) and quality.lost_negation(tokens):
            return False  # "Elle ne pensait alors | qu'aux lettres"
        if s.deps[last] == "case" and s.heads[last] > self.last:
            return False  # "se gratta le nez avec | sa main": the preposition lost its noun
        return last in self.replaced or not ends_open(tokens)

    def lost_attribute(self, verb) -> bool:
        """Had "être" an attribute, a place or a complement in the sentence, and the piece none of them?"""
        complements = [
            c
            for c in verb.children
            if c.dep_ not in ("nsubj", "nsubj:pass", "expl:subj", "punct", "cc", "mark", "aux", "aux:tense")
            and c.lower_ not in ("ne", "n'", *NEGATION_TAILS)
        ]
        return bool(complements) and not any(self.inside(c) and c.i not in self.removed for c in complements)

    def subject_restored(self, verb) -> bool:
        """Was ``verb``'s subject, outside the piece, given back: a prefix or a
        pronoun inserted before it, or a relative pronoun replaced by its antecedent?"""
        if self.prefix or any(i < verb.i for i in self.inserted):
            return True
        return any(i in self.replaced for i in range(self.first, verb.i))

    # -- the repairs -------------------------------------------------------

    def leave_out_adverbs(self) -> None:
        """Adverbs of degree ("très"), then of time and manner, then a noun's
        adjectives with what they govern ("une obésité fatale à ses
        prétentions" → "une obésité"), when the clause cannot fit with them."""
        for token in self.s.tokens[self.first : self.last + 1]:
            if token.i in self.replaced or token.i in self.removed:
                continue
            form = token.lower_
            if token.dep_ == "advmod" and token.pos_ == "ADV":
                if any(c.dep_ == "fixed" and c.lower_ in FIXED_TAILS for c in token.children):
                    continue  # "il serait bien de partir", "bien des gens", "bien que": the adverb is the phrase
                if form in DEGREE_ADVERBS or (
                    self.trim >= 2 and (form in OTHER_ADVERBS or form.endswith("ment") and form != "comment")
                ):
                    self.removed.add(token.i)
            elif self.trim >= 3 and leavable_adjective(token) and all(self.inside(t) for t in token.subtree):
                self.removed.update(t.i for t in token.subtree)
                self.removed.update(self.modifiers_before(token))
                self.removed.update(self.coordinator_beside(token))

    def coordinator_beside(self, adjective) -> list[int]:
        """A left-out adjective's "et" goes with it: "une foule nombreuse et
        silencieuse" → "une foule silencieuse", never "une foule et silencieuse"."""
        kept = [t for t in self.s.tokens[self.first : self.last + 1] if t.i not in self.removed or t.i == adjective.i]
        at = next(index for index, t in enumerate(kept) if t.i == adjective.i)
        for neighbour in (at + 1, at - 1):
            if 0 <= neighbour < len(kept) and kept[neighbour].pos_ == "CCONJ":
                beyond = kept[neighbour + (1 if neighbour > at else -1)] if 0 < neighbour < len(kept) - 1 else None
                if beyond is not None and beyond.pos_ in ("ADJ", "ADV"):
                    return [kept[neighbour].i]
        return []

    def modifiers_before(self, adjective) -> list[int]:
        """The adverbs right before a left-out adjective go with it: "l'état
        quasi révolutionnaire" → "l'état", never "l'état quasi" (the parser
        does not always hang "quasi", "très", "si" on the adjective)."""
        indexes = []
        index = adjective.i - 1
        while index >= self.first:
            word = self.s.tokens[index]
            if not (word.pos_ == "ADV" or word.lower_ in ADJECTIVE_MODIFIERS) or word.lower_ in NEGATION_TAILS:
                break
            indexes.append(index)
            index -= 1
        return indexes

    def drop_coordinator(self, token) -> None:
        word = COORDINATORS[token.lower_]
        if word:
            self.replaced[token.i] = word
        else:
            self.removed.add(token.i)

    def main_verb(self):
        """The first finite verb of the piece whose clause has no subordinator
        or relative pronoun, in the piece or before it (a subordinate clause
        is mended only from its opener: "que sa fille | épousât" is no main
        clause), and is not in the subjunctive."""
        for token in self.s.tokens[self.first : self.last + 1]:
            if not quality.is_finite(token) or "Sub" in token.morph.get("Mood"):
                continue
            node = token.head if token.dep_ in ("cop", *quality.AUXILIARY_DEPS) else token
            hanging = any(
                (quality.is_subordinator(child) or quality.is_relative_pronoun(child)) and child.i <= self.last
                for child in node.children
            )
            if not hanging:
                return token
        return None

    def attribute(self) -> bool:
        """An apposition or a detached adjective becomes what its noun is, in
        the tense of the sentence: "Monsieur de Watteville, petit-neveu du
        fameux Watteville," → "Monsieur de Watteville était le petit-neveu du
        fameux Watteville."; "…Besançon, | ville triste et dévote" →
        "Besançon était une ville triste et dévote."."""
        tokens = [t for t in self.s.tokens[self.first : self.last + 1] if not t.is_punct]
        detached = [
            t
            for t in tokens
            if (
                t.dep_ in ("appos", "amod", "acl")
                or (t.dep_ == "nmod" and not any(c.dep_ == "case" for c in t.children))
            )
            and t.head.pos_ in ("NOUN", "PROPN")
            and t.head.i < t.i
            and self.s.tokens[t.left_edge.i - 1].text == ","
            and t.pos_ in ("NOUN", "ADJ", "VERB", "PROPN")
            and "Fin" not in t.morph.get("VerbForm")
            and not (t.pos_ == "VERB" and "Part" not in t.morph.get("VerbForm"))
        ]
        if not detached:
            return False
        attribute = detached[0]
        noun = attribute.head
        if attribute.lower_ in TITLES:
            return False  # "ses preuves, | M. de Riva": a name the parse hangs on a noun, no attribute of it
        if attribute.pos_ == "NOUN" and in_a_list(attribute):
            return False  # "toutes les routes, chemins de fer, canaux, …": a list, not what the routes are
        if (attribute.pos_ == "PROPN" or attribute.text[:1].isupper()) and noun.pos_ == "PROPN":
            return False  # "Balthazar de Croatie, Routchouk le Valaque, …": names listed, not one said of the other
        if attribute.pos_ in ("VERB", "ADJ") and not agrees_in_number(attribute, noun):
            return False  # "trois jours de temps, | choisi un appartement": "Ces jours sont choisi" is no French
        if attribute.pos_ == "VERB" and not detached_participle(attribute):
            return False
        span = list(attribute.subtree)
        if span[-1].i < self.last and not all(t.is_punct for t in self.s.tokens[span[-1].i + 1 : self.last + 1]):
            return False  # the piece holds more than the noun and what it is
        comma = self.s.tokens[attribute.left_edge.i - 1]
        verb = next((t for t in self.s.doc if quality.is_finite(t)), None)
        present = verb is not None and present_tense(verb)
        plural = gender_number(noun)[1] == "Plur"
        copula = {(True, False): "est", (True, True): "sont", (False, False): "était", (False, True): "étaient"}[
            (present, plural)
        ]
        article = article_for(attribute) if attribute.pos_ == "NOUN" else None
        words = copula + (" " + article if article else "")
        if self.inside(noun):
            if not self.inside(comma) or any(not self.inside(t) for t in noun_phrase(noun)):
                return False
            if noun_phrase(noun)[0].i != self.first:
                return False
            self.replaced[comma.i] = words
        else:
            if comma.i != self.first - 1 and not (self.inside(comma) and comma.i == self.first):
                return False
            phrase = demonstrative_phrase(noun)
            if phrase is None:
                return False
            if self.inside(comma):
                self.removed.add(comma.i)
            self.prefix.append(phrase + " " + words)
        # The attribute's own closing comma ends the sentence.
        return True

    def setting(self):
        """A time or place cut from its clause becomes a sentence of its own,
        "C'était …" in the tense of the clause (a cleft whose "que …" part
        is the sentence beside it): a date or time that opens the sentence
        ("En 1834, | …" → "C'était en 1834."), a place that opens it ("Dans
        le salon, | …"), and, after its clause, a place or time adjunct
        ("…le matin | dans le jardin." → "C'était dans le jardin.") or an
        infinitive of purpose ("…un masque | pour déjouer la police." →
        "C'était pour déjouer la police.")."""
        tokens = [t for t in self.s.tokens[self.first : self.last + 1] if not t.is_punct]
        if not tokens:
            return None
        governor = self.opening_setting(tokens) if self.start == 0 else self.trailing_setting(tokens)
        if governor is None:
            return None
        self.prefix.append("C'est" if present_tense(governor) else "C'était")
        return governor

    def opening_setting(self, tokens):
        """The finite verb after a date, a time or a place that opens the sentence, or None."""
        date = tokens[0].pos_ == "DET" and any(t.lower_ in MONTHS for t in tokens)
        if not date and (tokens[0].pos_ != "ADP" or tokens[0].lower_ not in OPENING_PREPOSITIONS):
            return None  # "Pour lors", "Dès son enfance", "Depuis trois jours": no "C'était …" says them
        # Timed by what the phrase names, not by a number in it: "En 1834", "Vers
        # huit heures", not "En trois affaires" ("C'est en trois affaires" is no French).
        head = tokens[0].head
        timed = date or head.pos_ == "NUM" or head.lemma_ in TEMPORAL_NOUNS or head.lower_ in MONTHS
        placed = situating_phrase(tokens, PLACE_PREPOSITIONS)
        if not (timed or placed) or any(t.text == "," for t in self.s.tokens[self.first : self.last]):
            return None  # "A une heure du matin, Albert": one setting, up to its comma
        phrase = set(tokens[0].head.subtree) | set(tokens[0].subtree)
        if not date and not all(t in phrase for t in tokens):
            return None  # "En 1823, deux jeunes gens": the piece holds more than the setting
        return next((t for t in self.s.tokens[self.last + 1 :] if quality.is_finite(t)), None)

    def trailing_setting(self, tokens):
        """The finite verb of the main clause that a time or purpose adjunct
        completes, when the adjunct, whole, is the piece and comes after its
        verb; or None. Only adjuncts that say when ("après la messe", "à
        sept heures", "en 1830"), at whose place ("chez les autres", "à
        Besançon"), or what for ("pour déjouer la police"): "dans", "sur"
        after a verb as often say how ("dans toute sa perfection") or what
        the verb needs ("l'emporter sur une duchesse"), where "C'était …"
        would be no French."""
        head = tokens[0].head
        if tokens[0].pos_ != "ADP" or {t.i for t in tokens} != {t.i for t in head.subtree if not t.is_punct}:
            return None
        if head.dep_ == "advcl" and "Inf" in head.morph.get("VerbForm"):
            if tokens[0].lower_ not in PURPOSE_MARKS:
                return None
        elif head.dep_ != "obl:mod" or not situating_phrase(tokens, TIME_PREPOSITIONS | {"chez"}):
            return None
        verb = head.head
        if verb.i >= self.first or not quality.is_finite_clause(verb):
            return None
        governor = finite_of(verb)
        return governor if quality.is_main_verb(governor) else None

    def restate(self) -> bool:
        """A verb's adjunct cut off after it gets the verb back, with its
        subject as a pronoun: "Il fut reçu par le baron | dans son cabinet"
        → "Il fut reçu dans son cabinet."; "Le soir, il se promena | en
        bateau sur le lac" → "Il se promena en bateau sur le lac.". The verb
        comes back whole, as the source has it (its auxiliary, clitics and
        negation), and only when it has no argument: an object or a
        complement the piece before keeps would be lost here ("Il traversa
        la haie | par le bois" is not "Il traversa par le bois"), and one the
        piece holds would leave the piece before without it ("Les cadeaux
        consistaient." is no French). The second of two coordinated objects
        or adjuncts is restated the same way: "Ses plaidoiries ont frappé la
        Cour | et les jurés" → "Elles ont frappé les jurés."."""
        tokens = [t for t in self.s.tokens[self.first : self.last + 1] if not t.is_punct and t.i not in self.removed]
        attached = [t for t in tokens if not self.inside(t.head)]
        conjunct = attached[0] if len(attached) == 1 and self.second_complement(attached[0], tokens) else None
        if conjunct is not None:
            verb = self.first_conjunct(conjunct).head
        else:
            # "grande ardeur", cut from "la plus | grande ardeur"; "comme …" compares, it is no adjunct.
            if tokens[0].pos_ != "ADP" or tokens[0].lower_ == "comme":
                return False
            verbs = {self.adjunct_of(t).i for t in attached}
            if len(verbs) != 1 or any(t.dep_ not in RESTATED_DEPS and not self.hung_on_complement(t) for t in attached):
                return False
            verb = self.s.tokens[verbs.pop()]
        if verb.i >= self.first or verb.pos_ not in ("VERB", "AUX"):
            return False
        finite = finite_of(verb)
        if not quality.is_main_verb(finite) or "Sub" in finite.morph.get("Mood"):
            return False
        subjects = [c for c in verb.children if c.dep_ in SHARED_SUBJECT_DEPS]
        subject = subjects[0] if len(subjects) == 1 else None  # "La troisième fois il déjeunait": which?
        group = [
            verb,
            *(
                c
                for c in verb.children
                if c.dep_ in quality.AUXILIARY_DEPS or c.lower_ in quality.CLITICS or c.lower_ in NEGATION_TAILS
            ),
        ]
        if subject is None or subject.i > min(t.i for t in group) or max(t.i for t in group) >= self.first:
            return False  # no subject to restate, an inverted one ("dit-il", "ont-elles vu"), or a split group
        arguments = [
            c
            for c in verb.children
            if (c.dep_ in ARGUMENT_DEPS or quantity_object(c))
            and c not in group
            and (conjunct is None or c.i != self.first_conjunct(conjunct).i)
        ]
        # "vendit la maison pour s'établir …, | dans le bel hôtel": the adjunct may be the other verb's.
        if any(t.pos_ == "VERB" and t.i not in {g.i for g in group} for t in self.s.tokens[verb.i + 1 : self.first]):
            return False
        if self.follows_an_adjunct_noun(verb, self.first):
            return False
        if conjunct is not None and self.follows_an_adjunct_noun(verb, self.first_conjunct(conjunct).left_edge.i):
            return False  # "avec du sang dans les ongles | et dans les yeux": the first one says where the blood was
        clitic = self.object_clitic(verb, arguments, group) if arguments else None
        if arguments and clitic is None:
            return False
        span = self.s.tokens[min(t.i for t in group) : max(t.i for t in group) + 1]
        if len(span) != len(group):
            return False  # another word stands in the verb's group ("il avait bien vu")
        if any(t.lower_ in ("ne", "n'") for t in span) and not any(t.lower_ in NEGATION_TAILS for t in span):
            return False  # "ne … que": the restriction is in the piece before
        pronoun = subject_words(subject)
        if pronoun is None or PRONOUN_NUMBER.get(pronoun, quality.form_number(finite)) != quality.form_number(finite):
            return False  # "Il y restèrent": the parse took another clause's subject
        words = "".join(t.text_with_ws for t in span).strip()
        if clitic is not None:
            words = self.with_object_clitic(span, verb, *clitic)
        self.prefix.append(pronoun + " " + words)
        return True

    def follows_an_adjunct_noun(self, verb, start: int) -> bool:
        """Does the piece come right after a noun that is itself the
        complement of another noun, brought by a preposition other than
        "de" ("revenu auprès de son ami avec du sang | dans les ongles")?
        The piece then most likely completes that phrase, whatever the
        parse says, and the verb said again with it would be nonsense ("Il
        était revenu dans les ongles")."""
        before = self.s.tokens[start - 1] if start > verb.i + 1 else None
        if before is None or before.pos_ not in ("NOUN", "PROPN"):
            return False
        case = next((c for c in before.children if c.dep_ == "case"), None)
        if case is None or case.lower_ in ("de", "du", "des", "d'"):
            return False
        if before.dep_ == "nmod" and before.head.dep_ != "obj":
            return True
        # "avec du sang | dans les ongles", "avec une pierre | au cou": a place said of a thing the clause brings.
        determiner = next((c.lower_ for c in before.children if c.dep_ == "det"), None)
        return determiner in ("du", "des", "un", "une") and self.s.lowers[start] in PLACE_PREPOSITIONS

    def second_complement(self, conjunct, tokens) -> bool:
        """Is the piece, whole, the second of two objects or adjuncts
        coordinated with "et" or a comma, whose first one the piece before
        keeps ("frappé la Cour | et les jurés", "vers la ville | et vers la
        mer")? An adjunct keeps its preposition, an object has none; "ni",
        "ou", "mais" say more than a restated verb would."""
        first = self.first_conjunct(conjunct)
        if conjunct.dep_ != "conj" or conjunct.pos_ not in ("NOUN", "PROPN") or first.pos_ not in ("NOUN", "PROPN"):
            return False
        if first.dep_ not in ("obj", "obl:arg", *RESTATED_DEPS) or first.i >= self.first:
            return False
        if first.head.pos_ not in ("VERB", "AUX"):
            return False
        edge = next(t for t in conjunct.subtree if not t.is_punct)
        if tokens[0].i != edge.i and not (self.s.lowers[edge.i] == "et" and edge.i in self.removed):
            return False
        if any(c.dep_ == "cc" and c.lower_ != "et" for c in conjunct.children):
            return False
        has_case = any(c.dep_ == "case" for c in conjunct.children)
        return has_case == (first.dep_ != "obj")

    @staticmethod
    def first_conjunct(conjunct):
        """The first of the coordinated complements: the conjunct's head, or,
        where the parse hangs an object on the complement of the object
        before it ("aimait les fleurs du jardin et les oiseaux": "oiseaux"
        on "jardin"), that object: a noun's complement is coordinated with
        its preposition ("du jardin et du lac")."""
        head = conjunct.head
        mis_hung = head.dep_ == "nmod" and head.head.dep_ == "obj" and any(c.dep_ == "case" for c in head.children)
        if mis_hung and not any(c.dep_ == "case" for c in conjunct.children):
            return head.head
        return head

    def hung_on_complement(self, token) -> bool:
        """Is ``token`` an adjunct of time, place, company or purpose that the
        parse hangs on the verb's object before it ("écrivit une lettre |
        pendant la nuit": "nuit" on "lettre")? Said of an object, these
        prepositions seldom complete it; said again with the verb, they keep
        the sentence's meaning either way. Not on an adjunct: "revenu avec
        du sang | dans les ongles" is no "Il était revenu dans les ongles"."""
        case = next((c for c in token.children if c.dep_ == "case"), None)
        return (
            token.dep_ == "nmod"
            and case is not None
            and case.lower_ in VERB_ADJUNCT_PREPOSITIONS
            and token.head.dep_ == "obj"
            and token.head.i < self.first
        )

    def adjunct_of(self, token):
        """The word an adjunct of the piece completes: its head, or the verb
        above a complement the parse hangs it on (``hung_on_complement``)."""
        return token.head.head if self.hung_on_complement(token) else token.head

    def object_clitic(self, verb, arguments, group) -> tuple[str, str | None, str] | None:
        """The clitic that stands for a restated verb's direct object, which
        the piece before keeps: "Il a vaincu le libéralisme | dans la personne
        du défenseur" → "Il l'a vaincu dans la personne du défenseur.". Only
        for one object, a noun with a definite, demonstrative, possessive or
        indefinite determiner, or a name: a partitive or a number is said with
        "en" ("du pain", "trois lettres"), which this does not write; and not
        beside another clitic, whose order with the new one it does not know.
        Returns the clitic, and the object's gender and number."""
        if len(arguments) != 1 or any(t.lower_ in quality.CLITICS and t.lower_ not in ("ne", "n'") for t in group):
            return None
        obj = arguments[0]
        if verb.lemma_ in SUPPORT_VERBS:
            return None  # "fit un appel | à Dijon" is no "Il le fit à Dijon": the object carries the meaning
        if any(c.dep_ in quality.AUXILIARY_DEPS and c.lemma_ == "être" for c in verb.children):
            return None  # "il est arrivé … un vieux monsieur": an impersonal or passive verb has no object to stand for
        if self.s.lowers[self.first] in ("à", "au", "aux", "de", "du", "des", "d'"):
            return None  # "joua un tour | à cet avocat": "à" and "de" mostly bring the verb's other argument
        if obj.dep_ != "obj" or obj.pos_ not in ("NOUN", "PROPN") or not verb.i < obj.i < self.first:
            return None
        if any(t.text == "," for t in self.s.tokens[verb.i + 1 : obj.i]):
            return None  # "les cavaliers bondissent, le peuple …": no object is cut from its verb by a comma
        if obj.lemma_ in TEMPORAL_NOUNS:
            return None  # "glisse la nuit | dans les couloirs": the parse reads a time as the object
        if any(t.i >= self.first and not self.inside(t) for t in obj.subtree):
            return None  # the object goes on after the piece: it is no object the piece before keeps
        determiners = [c for c in obj.children if c.dep_ == "det"]
        if obj.pos_ == "NOUN" and (len(determiners) != 1 or determiners[0].lower_ not in CLITIC_DETERMINERS):
            return None
        clitic = object_pronoun(obj)
        return None if clitic is None else (clitic, *gender_number(obj))

    def with_object_clitic(self, span, verb, clitic: str, gender: str | None, number: str) -> str:
        """The verb's group with the object clitic before its first verb form,
        after "ne" ("il ne l'a pas vu"), and a participle conjugated with
        avoir agreeing with it, as French wants of an object before it ("il
        l'a écrite")."""
        agrees = any(c.dep_ in ("aux", "aux:tense") and c.lemma_ == "avoir" for c in verb.children)
        text, placed = "", False
        for token in span:
            form = token.text
            if token.i == verb.i and agrees and "Part" in verb.morph.get("VerbForm"):
                form = agreed(form, gender, number)
            if not placed and token.pos_ in ("VERB", "AUX"):
                placed = True
                text += clitic + " "
            text += form + token.whitespace_
        return elide(text.strip(), self.s.aspirated, self.s.text)

    def restore_antecedent(self, pronoun):
        verb = pronoun.head
        if pronoun.lower_ == "dont":
            # "dont la fille avait épousé…": "dont" hangs on the noun it completes, the clause's verb is above it.
            while not quality.is_finite_clause(verb) and verb.head is not verb and verb.dep_ != "acl:relcl":
                verb = verb.head
        coordinated = pronoun.i > 0 and self.s.tokens[pronoun.i - 1].dep_ == "cc"
        if not (self.inside(verb) and quality.is_finite_clause(verb)):
            return None
        if pronoun.lower_ in ("que", "qu'") and not self.object_relative(verb):
            return None
        if verb.lemma_ == "avoir" and not any(
            c.dep_ in ("obj", "xcomp", "ccomp") or c.lower_ == "en" for c in verb.children
        ):
            return None  # "où j'ai, | dans trois jours, choisi…": an auxiliary the parse took for the verb
        # "…et qui portait": the antecedent is the first relative's, not the nearest noun.
        antecedent = first_relative_antecedent(pronoun, verb) if coordinated else self.antecedent(verb)
        if antecedent is None:
            return None
        phrase = antecedent_phrase(antecedent)
        if phrase is None:
            return None
        if pronoun.lower_ == "qui" and not agrees_in_gender(verb, antecedent):
            # "la Reine du Sabbat, qui était restée": the parse hangs the clause on the complement.
            owner = antecedent.head
            if antecedent.dep_ == "nmod" and owner.pos_ == "NOUN" and owner.i < antecedent.i:
                antecedent = owner if agrees_in_gender(verb, owner) else None
            else:
                antecedent = None
            if antecedent is None:
                return None
            phrase = antecedent_phrase(antecedent)
            if phrase is None:
                return None
        if pronoun.lower_ == "qui" and not agrees(finite_of(verb), antecedent):
            return None  # "Cette Gauche font pis": the parse gave the wrong antecedent, or none it can name
        form = pronoun.lower_
        moved = form != "qui" and self.subject_first(verb)
        if form == "qui":
            self.replaced[pronoun.i] = self.clear_pronoun(antecedent) if self.pronoun else phrase
            # "la Reine, qui était restée" → "Reine était restée": a name keeps its capital after a connective.
            self.named = self.replaced[pronoun.i][:1].isupper()
        elif form in ("que", "qu'"):
            self.removed.add(pronoun.i)
            clitic = object_pronoun(antecedent) if self.pronoun and self.clitic_fits(verb, antecedent) else None
            if clitic is not None:
                # "la promesse qu'il lui avait faite" → "il la lui avait faite": still before, it still agrees.
                self.insert_object_clitic(verb, clitic)
            else:
                self.insert_after_verb(verb, phrase)
                participle = agreeing_participle(verb)
                if participle is not None:
                    # The object now follows the verb: "la lettre qu'elle a écrite" → "elle a écrit cette lettre".
                    self.replaced[participle.i] = unagreed(participle)
        elif form == "dont":
            self.removed.add(pronoun.i)
            if pronoun.head.pos_ == "NOUN" and self.inside(pronoun.head):
                if not (self.pronoun and self.possessive(pronoun.head, antecedent)):
                    self.inserted[pronoun.head.i] = "de " + phrase
            else:
                self.insert_after_object(verb, "de " + phrase, whole=False)
        elif form == "où":
            if not moved and not any(c.dep_ in SUBJECT_DEPS and c.i < verb.i for c in verb.children):
                return None  # "où brille le portrait", the subject parsed as an object: "Y brille le portrait" is no French
            if antecedent.lemma_.lower() in TEMPORAL_NOUNS or antecedent.lower_ in TEMPORAL_NOUNS:
                # "Ce jour-là,", "Ce soir-là," but "À ce moment-là,", "À cette époque-là,".
                lead = "À " if antecedent.lemma_.lower() in POINT_IN_TIME_NOUNS else ""
                self.replaced[pronoun.i] = lead + phrase + "-là,"
            elif self.pronoun and not (
                verb.lemma_ == "avoir" and any(c.lower_ == "il" and c.dep_ in SUBJECT_DEPS for c in verb.children)
            ):
                # "où il vivait" → "il y vivait"; not "où il avait ses livres": "il y avait" says "there were".
                self.removed.add(pronoun.i)
                self.insert_before_verb(verb, "y")
            else:
                self.removed.add(pronoun.i)
                self.insert_after_object(verb, "dans " + phrase, whole=True)
        else:
            return None
        return finite_of(verb)

    def possessive(self, possessed, antecedent) -> bool:
        """ "dont la fille" → "sa fille", "dont les fenêtres" → "ses fenêtres":
        the possessive for the antecedent replaces the article, unless an
        earlier subject of the same number could be taken for the owner
        ("Elle connaissait un homme dont la fille…": "sa fille" would be hers)."""
        article = next((c for c in possessed.children if c.dep_ == "det" and c.lower_ in DEFINITE_ARTICLES), None)
        if article is None or not self.inside(article):
            return False
        owners = gender_number(antecedent)[1]
        before = [t for t in self.s.tokens[: self.first] if t.dep_ in SHARED_SUBJECT_DEPS and t.i != antecedent.i]
        if any(t.lower_ not in NO_OWNER_SUBJECTS and gender_number(t)[1] == owners for t in before):
            return False
        self.replaced[article.i] = possessive_for(possessed, plural_owner=owners == "Plur") + (
            " " if not article.whitespace_ else ""
        )
        return True

    def clear_pronoun(self, antecedent) -> str:
        """ "il" / "elle" for the antecedent, unless the sentence already has a
        subject that the pronoun could be taken for; then its noun phrase."""
        pronoun = subject_pronoun(antecedent)
        before = [t for t in self.s.tokens[: self.first] if t.dep_ in ("nsubj", "nsubj:pass")]
        if pronoun is None or any(subject_pronoun(t) == pronoun for t in before):
            return antecedent_phrase(antecedent, short=True)
        return pronoun

    def subject_first(self, verb) -> bool:
        """A relative's subject often follows its verb ("où loge ce personnage"):
        in a sentence of its own it comes first ("Ce personnage loge là").
        Says whether it moved one."""
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubj:pass") and c.i > verb.i), None)
        if subject is None and self.inverted_object(verb) is not None:
            subject = self.inverted_object(verb)  # "que dévastait jadis le torrent": the parse took it for the object
        if subject is None or not self.inside(subject):
            return False
        span = list(subject.subtree)
        if not all(self.inside(token) for token in span):
            return False
        self.removed.update(token.i for token in span)
        self.prefix.append("".join(token.text_with_ws for token in span).strip())
        return True

    def object_relative(self, verb) -> bool:
        """Is "que" the object of the relative clause the piece holds, and the
        piece that clause alone? Not where the verb has an object of its own
        ("d'autant plus … qu'ils y perdent une occasion": "que" compares), is
        in the subjunctive ("que vous soyez"), or is a cleft's ("c'est de ces
        clous que Bossuet a parlé");
        and the piece must not run on past the clause ("que je connais
        très-bien, | une démarche …")."""
        finite = finite_of(verb)
        objects = [c for c in verb.children if c.dep_ == "obj" and c.lower_ not in ("que", "qu'")]
        if any(c.lemma_ not in TEMPORAL_NOUNS for c in objects) and self.inverted_object(verb) is None:
            return False
        if "Sub" in finite.morph.get("Mood") or any(c.lower_ == "en" for c in verb.children):
            return False  # "que vous soyez"; "autant de passion que certains hommes en dépensent"
        if verb.lemma_ in MODAL_VERBS and not any(c.dep_ == "xcomp" for c in verb.children):
            return False  # "les fonds qu'elle pourra": the verb of "pourra" is left unsaid
        if verb.dep_ == "acl:relcl" and any(t.lower_ in COMPARATIVES for t in verb.head.subtree if t.i < verb.head.i):
            return False  # "autant de passion que …", "plus de bruit que …": "que" compares
        if verb.dep_ == "acl:relcl" and self.cleft(verb.head):
            return False
        clause = {t.i for t in verb.subtree}
        return all(i in clause or self.s.punct[i] for i in range(self.first, self.last + 1) if i not in self.removed)

    @staticmethod
    def inverted_object(verb):
        """The noun after a relative's verb that has no subject: its subject,
        inverted, which the parse reads as an object ("que dévastait jadis le
        torrent des Rouxey"); or None."""
        if any(c.dep_ in SUBJECT_DEPS for c in verb.children):
            return None
        return next(
            (c for c in verb.children if c.dep_ == "obj" and c.pos_ in ("NOUN", "PROPN") and c.i > verb.i), None
        )

    def cleft(self, noun) -> bool:
        """Is ``noun`` the focus of a cleft, "c'est … que" ("c'est de ces
        clous que Bossuet a parlé", "est-ce de ces clous que"): "que" is then
        no relative pronoun, and the noun no object of the verb after it?"""
        edge = noun.left_edge.i
        before = self.s.lowers[max(0, edge - 4) : edge]
        return any(word in ("ce", "c'", "-ce") for word in before) and any(
            self.s.lemmas[i] == "être" for i in range(max(0, edge - 4), edge)
        )

    def clitic_fits(self, verb, antecedent) -> bool:
        """Can "le", "la", "les" stand for the antecedent before the verb? A
        noun's (not an adjective's: "la première qu'elle lut"), of a verb
        with no infinitive after it ("qu'on peut se procurer": the object is
        the infinitive's) and no clitic before it but "ne", "lui", "leur",
        "y", "en", whose order with it is plain."""
        if antecedent.pos_ not in ("NOUN", "PROPN") or any(c.dep_ == "xcomp" for c in verb.children):
            return False
        finite = finite_of(verb)
        subject = next((c for c in verb.children if c.dep_ in SUBJECT_DEPS and c.i < finite.i), None)
        start = subject.i + 1 if subject is not None else self.first
        between = [self.s.lowers[i] for i in range(start, finite.i)]
        return all(word in ("ne", "n'", "lui", "leur", "y", "en") for word in between)

    def insert_object_clitic(self, verb, clitic: str) -> None:
        """ "le", "la", "les" go before the verb and before "lui", "leur", "y",
        "en", after "ne" and "me", "te", "se", "nous", "vous" ("il ne me la
        donna pas", "il la lui avait faite")."""
        index = finite_of(verb).i
        while index - 1 >= self.first and self.s.lowers[index - 1] in ("lui", "leur", "y", "en"):
            index -= 1
        if index - 1 < self.first or index - 1 in self.removed:
            self.prefix.append(clitic)
            return
        self.inserted[index - 1] = (self.inserted.get(index - 1, "") + " " + clitic).strip()

    def insert_before_verb(self, verb, word: str) -> None:
        finite = finite_of(verb)
        index = finite.i - 1
        if index >= self.first and self.s.tokens[index].lower_ == "en":
            index -= 1
        if index < self.first or index in self.removed:
            self.prefix.append(word)
            return
        self.inserted[index] = (self.inserted.get(index, "") + " " + word).strip()

    def antecedent(self, verb):
        """The noun the relative pronoun opening the piece stands for: the
        noun the parse hangs the relative clause on ("les puritains de la
        Gauche qui font pis": "puritains", not "Gauche"; "Philomène et sa
        mère, qui prirent": the coordination, through its first noun), or,
        where the parse hangs it on no word before, the nearest noun before
        the piece (across a comma, an adjective or a noun's complement). A
        clause on a pronoun ("celui qui") has no noun to restore."""
        clause = verb if verb.dep_ == "acl:relcl" else verb.head if verb.head.dep_ == "acl:relcl" else None
        if clause is not None and clause.head.i < self.first:
            head = clause.head
            if head.pos_ in ("NOUN", "PROPN") or nominal_adjective(head):
                return whole_coordination(head, verb)
            return None
        index = self.first - 1
        while index >= 0:
            token = self.s.tokens[index]
            if token.pos_ in ("NOUN", "PROPN") or nominal_adjective(token):
                # "la femme de l'ambassadeur qui…": the head of a complement chain is the antecedent only when close.
                return whole_coordination(token, verb)
            if token.is_punct or token.pos_ in ("ADJ", "DET") or token.dep_ in ("amod", "flat:name"):
                index -= 1
                continue
            return None
        return None

    def insert_after_verb(self, verb, words: str) -> None:
        """Objects go after the verb and its negation ("ne voyait plus cet homme")."""
        position = verb.i
        following = verb.i + 1
        while following <= self.last and self.s.tokens[following].lower_ in NEGATION_TAILS:
            position = following
            following += 1
        self.inserted[position] = (self.inserted.get(position, "") + " " + words).strip()

    def insert_after_object(self, verb, words: str, *, whole: bool) -> None:
        """What "dont" or "où" stood for goes after the verb's direct object,
        where French puts it: "dont il ignorait le but" (the parse often hangs
        "dont" on the verb) → "il ignorait le but de cette conspiration", not
        "ignorait de cette conspiration le but"; "où l'ambitieux joue son
        avenir" → "joue son avenir dans ces séances". `whole`: after the
        object's whole phrase; else after the noun and the adjectives that
        follow it ("les moyens secrets de …"). No object: after the verb."""
        tokens = self.s.tokens
        obj = next(
            (c for c in verb.children if c.dep_ == "obj" and c.pos_ in ("NOUN", "PROPN") and verb.i < c.i),
            None,
        )
        if obj is None or not self.inside(obj):
            self.insert_after_verb(verb, words)
            return
        end = obj.i
        phrase = {t.i for t in obj.subtree} if whole else {c.i for c in obj.children if c.dep_ == "amod"}
        while end + 1 <= self.last and end + 1 in phrase and not tokens[end + 1].is_punct:
            end += 1
        self.inserted[end] = (self.inserted.get(end, "") + " " + words).strip()

    def subordinate(self, mark):
        verb = mark.head
        if not (self.inside(verb) and quality.is_finite_clause(verb)):
            return None
        phrase = mark_phrase(mark)
        if phrase in ("que", "qu'"):
            return self.consequence(mark) if consecutive_mark(verb) is not None else self.completive(mark)
        connectives = SUBORDINATORS.get(phrase)
        if connectives is None:
            return None
        before, after = connectives
        # Where the main clause is, by the parse, or (the parser often roots
        # a long sentence on its first verb) by where the other finite verbs are.
        main = verb.head if verb.dep_ == "advcl" and verb.head is not verb else None
        later = main.i > self.last if main is not None else self.finite_after()
        if later:
            if before is None:
                return None
            self.next_carry = before
        elif main is not None or self.finite_before():
            if after is None:
                return None
            self.prefix.append(after)
        else:
            return None
        self.removed.update(token.i for token in mark_tokens(mark))
        return finite_of(verb)

    def completive(self, mark):
        """A clause that says what was said, known or seen, cut from its verb,
        loses its "que" and is a sentence of its own; the verb's piece says
        "ceci" in its place (``announce_clause``): "Girardet savait | que
        l'étranger était le prince." → "Girardet savait ceci. L'étranger
        était le prince."."""
        if self.carry != ANNOUNCED:
            # Said alone, what X only claimed or believed would read as the
            # narrator's fact: the clause is a sentence only after its "ceci".
            return None
        clause = mark.head
        verb = reported_by(clause)
        if verb is None or verb.i >= self.first:
            return None
        self.removed.add(mark.i)
        for conjunct in clause.children:
            # "que vous l'aimiez et qu'il vous aimait" → "Vous l'aimiez et il vous aimait."
            second = reported_clause_mark(conjunct) if conjunct.dep_ == "conj" else None
            if second is not None and self.inside(second):
                self.removed.add(second.i)
        return finite_of(clause)

    def consequence(self, mark):
        """A clause of consequence cut after its "si", "tellement" or "tel"
        loses its "que" for "Alors", which says "so" in one word where the
        limit is short: "Elle le fixait avec une âpreté si farouche | qu'il
        détourna la tête." → "… si farouche." / "Alors il détourna la tête."."""
        if self.carry or not self.finite_before():
            return None
        self.prefix.append("Alors")
        self.removed.add(mark.i)
        return finite_of(mark.head)

    def announce_clause(self) -> None:
        """A verb whose clause of what is said, known or seen opens the next
        piece (``completive``) gets "ceci" for it, after the verb and the
        adverbs or inverted subject that follow it ("savait bien ceci",
        "répondit-il ceci")."""
        following = [t for t in self.s.tokens[self.last + 1 : self.last + 3] if not t.is_punct]
        if following and following[0].dep_ == "cc":
            following = following[1:]  # "…, et que Q"
        if not following or following[0].lower_ not in ("que", "qu'") or following[0].dep_ != "mark":
            return
        if self.next_carry is not None:
            return  # the next piece already opens with a connective of this one's
        clause = following[0].head
        verb = reported_by(clause)
        if verb is None or verb.i in self.removed:
            return
        if clause.dep_ == "conj" and self.inside(clause.head):
            first_mark = reported_clause_mark(clause.head)
            if self.carry == ANNOUNCED and first_mark is not None and self.inside(first_mark):
                # "Elle avait cru ceci. Sa mère lirait ses projets. | Et qu'elle lui
                # défendrait…": the first clause's "ceci" stands for the second too.
                self.next_carry = ANNOUNCED
            return  # "Je dis que c'est vrai, | et que…": the clause is this piece's, not a "ceci"
        if not self.inside(verb):
            return
        position = verb.i
        while position < self.last and (
            self.s.tokens[position + 1].text.startswith("-")
            or self.s.tokens[position + 1].dep_ == "advmod"
            and self.s.tokens[position + 1].head.i == verb.i
        ):
            position += 1
        self.inserted[position] = (self.inserted.get(position, "") + " ceci").strip()
        self.announced.add(clause.i if clause.dep_ == "ccomp" else clause.head.i)
        self.next_carry = ANNOUNCED

    def capital_inside(self, token) -> bool:
        """Does ``token`` have its capital inside the source sentence, where
        only a name has one ("… si étroit que Rynaldo jugeait", which the
        tagger may call a noun)?"""
        if not token.text[:1].isupper() or token.i == 0:
            return False
        before = self.s.tokens[token.i - 1].text
        return not before.endswith((".", "!", "?", "…", "«", "—", "–", "-", '"', ":"))

    def finite_after(self) -> bool:
        return any(quality.is_finite(token) for token in self.s.tokens[self.last + 1 :])

    def finite_before(self) -> bool:
        return any(quality.is_finite(token) for token in self.s.tokens[: self.first])

    def restore_subject(self, verb) -> bool:
        """Give the piece's main verb its subject back when it is outside the piece."""
        predicate = verb.head if verb.dep_ in ("cop", *quality.AUXILIARY_DEPS) else verb
        if any(child.dep_ in SUBJECT_DEPS and self.inside(child) for child in predicate.children):
            return True
        if quality.before_inverted_subject(verb) or "Imp" in verb.morph.get("Mood"):
            return True
        if any(self.replaced.get(child.i) for child in predicate.children if child.lower_ == "qui"):
            return True
        # The parser may read a subject cut off by its apposition as a vocative.
        subject = next((c for c in predicate.children if c.dep_ in ("nsubj", "nsubj:pass", "vocative")), None)
        if subject is not None and subject.i < self.first:
            # "Monsieur de Watteville, petit-neveu du fameux Watteville, | aimait
            # le tour.": only across a comma; "mais sa mère | le retint" keeps
            # its subject instead.
            if self.s.tokens[self.first - 1].text != ",":
                return False
            pronoun = subject_words(subject)
            if pronoun is None:
                return False
            return self.place_subject(pronoun, verb)
        if predicate.dep_ != "conj":
            return False
        # A verb coordinated with an earlier one shares its subject ("Il entra
        # et salua"); where the parser hung the conjunct on a noun, the
        # nearest earlier clause's subject is the one it shares.
        node, subject = predicate, None
        while node.dep_ == "conj" and node.head is not node and subject is None:
            node = node.head
            subject = next((c for c in node.children if c.dep_ in SHARED_SUBJECT_DEPS), None)
        if subject is None:
            subject = self.earlier_subject()
        if subject is None or subject.i >= self.first:
            return False
        pronoun = subject_words(subject)
        if pronoun is None:
            return False
        return self.place_subject(pronoun, verb)

    def earlier_subject(self):
        for token in reversed(self.s.tokens[: self.first]):
            if quality.is_finite(token):
                predicate = token.head if token.dep_ in ("cop", *quality.AUXILIARY_DEPS) else token
                return next((c for c in predicate.children if c.dep_ in SHARED_SUBJECT_DEPS), None)
        return None

    def place_subject(self, pronoun: str, verb) -> bool:
        """The subject goes right before its verb and the clitics and "ne" that
        lead to it ("sur le lac, il regardait", "il ne la vit pas"). A pronoun
        whose number is not the verb's is the wrong subject ("elle sont"):
        the parse hung the verb on another clause."""
        if pronoun in PRONOUN_NUMBER and PRONOUN_NUMBER[pronoun] not in (
            verb.morph.get("Number") or [PRONOUN_NUMBER[pronoun]]
        ):
            return False
        if pronoun in ("je", "tu") and finite_of(verb).lower_.endswith(THIRD_PERSON_ENDINGS):
            return False  # "J'approuve …, | répliqua madame" is no "Je répliqua"
        if pronoun in ("je", "tu") and "Plur" in finite_of(verb).morph.get("Number"):
            return False  # "je … | car vous êtes": the verb has its own subject (the tagger's person is unsure)
        start = verb.i
        while start - 1 >= self.first and self.s.tokens[start - 1].lower_ in quality.CLITICS:
            start -= 1
        opening = [t for t in self.s.tokens[self.first : start] if t.i not in self.removed and not t.is_punct]
        if any(t.head.i < self.first for t in opening):
            return False  # "les rues | de la ville étaient": what opens the piece belongs to the subject
        connectives = [t for t in opening if t.i in self.replaced and t.lower_ in COORDINATORS]
        if connectives and len(connectives) == len(opening):
            # "mais salua" → "Mais il salua": the subject follows the connective that opens the sentence.
            self.inserted[connectives[-1].i] = (self.inserted.get(connectives[-1].i, "") + " " + pronoun).strip()
        elif not opening or all(t.i in self.replaced for t in opening):
            self.prefix.append(pronoun)
        else:
            self.inserted[start - 1] = (self.inserted.get(start - 1, "") + " " + pronoun).strip()
        return True

    # -- the text ----------------------------------------------------------

    def render(self) -> str:
        parts: list[str] = []
        doc = self.s.tokens
        for token in doc[self.first : self.last + 1]:
            if token.i in self.removed:
                continue
            if token.i in self.replaced and token.is_punct and parts and not parts[-1]:
                parts[-1] = " "  # "Watteville, petit-neveu" → "Watteville était le petit-neveu"
            parts.append(self.replaced.get(token.i, token.text))
            parts.append(token.whitespace_)
            if token.i in self.inserted:
                if not parts[-1]:
                    parts[-1] = " "
                parts.append(self.inserted[token.i] + " ")
        body = "".join(parts).strip()
        body = re.sub(r"\s+([,.;:!?…»])", lambda m: (" " if m.group(1) in ";:!?»" else "") + m.group(1), body)
        body = re.sub(r"^[,;:\s]+", "", body)
        body = re.sub(r",(\s*,)+", ",", body)  # "courtoisie, justement, c'est" without its adverb
        body = re.sub(r"\b([Ll]') (?=\w)", r"\1", body)  # an added "l'" leans on its noun
        mark = ""
        found = DIALOGUE_MARK.match(body)
        if found:
            mark, body = found.group(0), body[found.end() :]
        elif self.s.dialogue and self.start > 0:
            mark = "– "
        prefix = " ".join(self.prefix)
        if prefix:
            opener = next(
                (t for t in doc[self.first : self.last + 1] if t.i not in self.removed and not t.is_punct), None
            )
            name = opener is not None and (
                (opener.i not in self.replaced and (opener.pos_ == "PROPN" or self.capital_inside(opener)))
                or (opener.i in self.replaced and self.named)
            )
            body = prefix + " " + (body if name else lower_first(body))
        body = elide(body, self.s.aspirated, self.s.text)
        return finish(mark + body, last=self.end == len(self.s.groups))


# -- helpers -------------------------------------------------------------

# A verb's adjuncts, which a cut piece may be for the verb to be restated
# with it, and its arguments, with which it is not (Repair.restate); "dep",
# what the parse could not name, counts as an argument.
RESTATED_DEPS = frozenset({"obl", "obl:mod", "obl:agent"})
MODAL_VERBS = frozenset("pouvoir devoir vouloir savoir falloir".split())
COMPARATIVES = frozenset("autant plus moins aussi tant si tel telle même".split())
# Verbs whose object says what they do ("faire un appel", "avoir de l'aversion"): a clitic would lose it.
SUPPORT_VERBS = frozenset("faire avoir prendre donner rendre tenir mettre".split())
VERB_ADJUNCT_PREPOSITIONS = frozenset(
    "pendant durant dans sous sur avec pour vers après avant depuis dès chez parmi malgré selon devant derrière".split()
)
ARGUMENT_DEPS = frozenset({"obj", "iobj", "obl:arg", "xcomp", "ccomp", "csubj", "dep"})

# Words that lead to their head: a determiner or an adjective to its noun, an auxiliary or a copula to its verb.
LEADING_DEPS = frozenset({"det", "amod", "nummod", "cop", "aux", "aux:pass", "aux:tense"})


def ends_open(words: list) -> bool:
    """Does a piece end on a word that leads to what was cut: a relative
    pronoun, a conjunction, the "que" of "ne … que", a determiner, a
    preposition, or "ce que" and its verb ("ce qu'est")? The judge's
    ``quality.open_ending``, on the sentence's parse."""
    last = words[-1]
    form = last.lower_
    if form in quality.OPEN_ENDINGS and len(words) > 1:
        return True
    if form in quality.DETERMINERS - quality.PRONOUN_DETERMINERS and last.pos_ == "DET":
        return True
    if form in quality.OPEN_PREPOSITIONS and last.pos_ == "ADP":
        return True
    if quality.cause_without_clause(words):
        return True
    return (
        len(words) > 2
        and quality.is_finite(last)
        and words[-2].lower_ in ("que", "qu'")
        and words[-3].lower_ in ("ce", "c'")
    )


def reporting_verb(token) -> bool:
    """ "dit-il", "reprit Philomène": a verb of saying with its subject after it."""
    return (
        quality.is_finite(token)
        and (quality.before_inverted_subject(token) or token.dep_ in ("parataxis",))
        and (token.lemma_ in REPORTING_LEMMAS)
    )


REPORTING_LEMMAS = quality.REPORTING_LEMMAS
# A reporting clause rewritten as narration (Repair.reported): the verbs of
# saying it is done for, with the pronoun that stands for the reply where
# the verb needs an object ("La baronne le dit.", "Il reprit."). Not "faire"
# ("fit-il"), nor verbs whose object is the person ("interrompre").
REPORTED_OBJECT = {
    **dict.fromkeys(("dire", "demander", "ajouter", "murmurer", "crier", "déclarer", "balbutier", "répéter"), "le"),
    **dict.fromkeys(("répondre", "reprendre", "répliquer", "continuer", "poursuivre", "soupirer", "riposter"), ""),
}
TITLES = frozenset({"madame", "monsieur", "mademoiselle", "m.", "mme", "mlle", "messieurs", "mesdames"})
# A reply and its reporting clause belong together: apart only where they cannot fit the limit together.
REPORTED_COST = 3.0


# Prepositions that situate an event in place or time: "C'était dans le
# jardin", "C'était après le dîner". Not "dès" or "depuis" ("C'était depuis
# l'hiver" is no French), nor manner ("avec", "sans").
PLACE_PREPOSITIONS = frozenset("dans sur sous chez devant derrière près auprès parmi".split())
TIME_PREPOSITIONS = frozenset("pendant durant avant après vers".split())
# "à", "en" situate only before a name, a date or a time ("à Paris", "en
# hiver"); elsewhere they say manner ("à grands pas", "en toute chose").
NAMING_PREPOSITIONS = frozenset({"à", "au", "aux", "en"})
PURPOSE_MARKS = frozenset({"pour", "afin"})
OPENING_PREPOSITIONS = PLACE_PREPOSITIONS | TIME_PREPOSITIONS | NAMING_PREPOSITIONS | {"a"}


def situating_phrase(tokens, prepositions: frozenset[str]) -> bool:
    """Does the prepositional phrase ``tokens`` say where or when, with no verb in it?"""
    if any(t.pos_ in ("VERB", "AUX") for t in tokens):
        return False
    first = tokens[0].lower_
    if first in prepositions:
        return True
    noun = tokens[0].head
    return first in NAMING_PREPOSITIONS and (
        noun.pos_ in ("PROPN", "NUM") or noun.lemma_ in TEMPORAL_NOUNS or noun.lower_ in MONTHS
    )


def introduces_infinitive(mark) -> bool:
    """ "pour déjouer", "afin de partir": a preposition before an infinitive, no subordinator to mend."""
    return mark.pos_ == "ADP" and "Inf" in mark.head.morph.get("VerbForm")


DEFINITE_ARTICLES = frozenset({"le", "la", "l'", "les"})
# Determiners of an object that "le", "la", "les" can stand for.
CLITIC_DETERMINERS = DEFINITE_ARTICLES | frozenset(
    "un une des ce cet cette ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs".split()
)
# Subjects "sa" or "ses" cannot stand for: other persons ("ma", "votre"), and "ce", "cela".
NO_OWNER_SUBJECTS = frozenset({"je", "j'", "tu", "nous", "vous", "c'", "ce", "cela", "ça"})


def possessive_for(possessed, *, plural_owner: bool) -> str:
    """The possessive determiner before ``possessed``: "sa fille", "son
    épouse" (before a vowel), "ses fenêtres", "leur maison", "leurs enfants"."""
    gender, number = gender_number(possessed)
    if plural_owner:
        return "leurs" if number == "Plur" else "leur"
    if number == "Plur":
        return "ses"
    return "sa" if gender == "Fem" and not VOWEL_START.match(possessed.text) else "son"


def nominal_adjective(token) -> bool:
    """An adjective the parser left an adjective where it names someone ("les
    vrais coupables": a determiner, and the role of a noun in its clause)."""
    return (
        token.pos_ == "ADJ"
        and token.dep_ in ("nsubj", "obj", "obl", "obl:arg", "obl:mod", "nmod", "conj")
        and any(child.dep_ == "det" for child in token.children)
    )


def leavable_adjective(token) -> bool:
    """An adjective that describes a common noun with its own determiner, not
    part of a name nor of a number ("la haute société" keeps "haute" only
    when nothing else fits; "Saint-Jean", "premier" are never left out)."""
    head = token.head
    return (
        token.dep_ == "amod"
        and token.pos_ == "ADJ"
        and head.pos_ == "NOUN"
        and any(child.dep_ == "det" for child in head.children)
        and token.text.islower()
        and "Ord" not in token.morph.get("NumType")
        # "cet affreux rôle" misparsed, its determiner on the adjective: leaving it out would leave "rôle" bare.
        and not any(child.dep_ == "det" for child in token.children)
        # "le plus grand avocat": a superlative is what the sentence says.
        and not any(child.lower_ in ("plus", "moins", "mieux") for child in token.children)
    )


def noun_phrase(noun) -> list:
    """The noun with what stands before it in its phrase and its name parts ("le jeune monsieur de Soulas")."""
    parts = [noun]
    for child in noun.children:
        if (
            child.i < noun.i
            and child.dep_ in ("det", "amod", "nummod")
            or child.i > noun.i
            and child.dep_ in ("flat:name", "flat", "nmod")
            and child.pos_ == "PROPN"
        ):
            parts.extend(child.subtree)
    return sorted(parts, key=lambda token: token.i)


def article_for(noun) -> str | None:
    """The article an attribute noun needs, or None when it has a determiner
    already: definite for who someone is ("le petit-neveu du fameux
    Watteville"), indefinite for what kind ("une femme d'une grande piété":
    its complement is indefinite)."""
    if any(child.dep_ == "det" for child in noun.children):
        return None
    # The noun's own number: "ville triste et dévote", "dévote" parsed as a
    # second noun, is one town ("la ville", not "les ville").
    coordinated_gender, coordinated_number = gender_number(noun)  # where the tagger gives the noun none
    gender = (noun.morph.get("Gender") or [coordinated_gender])[0]
    number = (noun.morph.get("Number") or [coordinated_number])[0]
    complements = [c for c in noun.children if c.dep_ == "nmod"]
    indefinite = any(d.lower_ in ("un", "une", "d'un", "d'une") for c in complements for d in c.children)
    if indefinite:
        return "des" if number == "Plur" else ("une" if gender == "Fem" else "un")
    if number == "Plur":
        return "les"
    if VOWEL_START.match(noun.text):
        return "l'"
    return "la" if gender == "Fem" else "le"


# Endings of the passé simple and the imperfect that no present shares ("-it": "dit" is both).
PAST_ENDINGS = ("èrent", "irent", "urent", "inrent", "ait", "aient", "ât", "ît", "ût")


def present_tense(verb) -> bool:
    """Is the clause of ``verb`` in the present or the future (else a past tense)?"""
    finite = finite_of(verb)
    tense = finite.morph.get("Tense")
    form = finite.lower_
    if lexicon.is_narrative_verb(form) and (
        form.endswith(PAST_ENDINGS) or form.endswith("a") and form not in ("a", "va")
    ):
        return False  # "arriva", "entrèrent": the tagger reads some passé simple forms as presents
    return bool(tense) and tense[0] in ("Pres", "Fut")


# Verbs whose "que" clause says what was said, known, thought or seen: the
# clause, in the indicative, can be said on its own after "X savait ceci.".
# Not the verbs of will, fear or doubt ("voulait que sa fille épousât"):
# their clause, in the subjunctive or denied, is no sentence alone.
DECLARATIVE_VERBS = frozenset(
    """dire savoir croire penser voir apprendre annoncer répondre répliquer affirmer assurer
    déclarer expliquer comprendre sentir écrire raconter promettre jurer avouer remarquer
    apercevoir reconnaître ajouter prétendre deviner imaginer espérer oublier lire observer
    prouver montrer répéter soupçonner songer rappeler confier découvrir objecter constater
    conclure murmurer soutenir avertir prévenir""".split()
)
SUBJUNCTIVE_PAST_ENDINGS = ("ât", "ût", "ît")
# The carry of a piece that said "ceci" for the clause opening the next one:
# no connective to write, but the next piece may drop its "que".
ANNOUNCED = ""


def stands_alone(clause, mark) -> bool:
    """Can ``clause``, its "que" ``mark`` left out, be said as a sentence:
    finite, in the indicative (not "qu'il vînt", "que sa fille épousât"), with
    its own subject after the "que"?"""
    finite = finite_of(clause)
    form = finite.lower_
    subjunctive = "Sub" in finite.morph.get("Mood") or (
        form.endswith(SUBJUNCTIVE_PAST_ENDINGS) and not form.endswith(("aît", "oît"))
    )
    return (
        not subjunctive
        and quality.is_finite(finite)
        and any(c.dep_ in SUBJECT_DEPS and c.i > mark.i for c in clause.children)
    )


def reported_by(clause):
    """The verb whose "que" clause ``clause`` is (its first conjunct's, for
    "… que P et que Q"), when the clause can stand alone as a sentence: the
    verb says, knows or sees (DECLARATIVE_VERBS), finite, neither denied,
    asked nor supposed ("ne croyait pas que", "si tu savais que"); the
    clause has its own subject and is not in the subjunctive. Else None."""
    first = clause.head if clause.dep_ == "conj" else clause
    verb = first.head
    if first.dep_ != "ccomp" or verb.pos_ != "VERB" or verb.lemma_ not in DECLARATIVE_VERBS:
        return None
    if any(c.dep_ == "obj" for c in verb.children):
        return None  # "annonçait plus de pensées qu'on ne doit en avoir": a comparison, not what was said
    if any(c.dep_ in ("aux:pass", "nsubj:pass") or c.text.startswith("-") for c in verb.children):
        # "Il fut averti que…" is no "Il fut averti ceci"; "D'autant plus,
        # avait-elle ajouté, que…": an inserted reporting clause, not the clause's verb.
        return None
    if not quality.is_finite_clause(verb) or "Inf" in verb.morph.get("VerbForm"):
        return None  # "mais seulement vous montrer que…": an infinitive says "ceci" with no subject
    if any(c.lower_ in ("ne", "n'", "si", "s'") for c in verb.children):
        return None
    if any(t.text == "?" for t in verb.doc[verb.i :]):
        return None
    marks = [c for c in clause.children if c.dep_ == "mark"]
    if len(marks) != 1 or reported_clause_mark(clause) is None:
        return None  # "que si elle eût trouvé…": a condition inside
    return verb if stands_alone(clause, marks[0]) else None


# Words of degree whose "que" clause says the consequence: "si pâle que",
# "tellement attendris que", "un tel sabbat que", "tant de peine que".
CONSECUTIVE_DEGREES = frozenset("si tellement tant tel telle tels telles".split())


def consecutive_mark(clause):
    """The "que" of ``clause`` when it says the consequence of a degree
    ("une âpreté si farouche qu'il détourna la tête"): a degree word among
    the six words before the "que", no finite verb between them, no
    negation or question in the sentence (a comparison: "pas si bête qu'on
    le dit"); the clause in the indicative, with its own subject. Else None."""
    mark = reported_clause_mark(clause)
    if mark is None or mark.dep_ != "mark" or mark.head.i != clause.i:
        return None
    tokens = clause.doc
    before = tokens[max(0, mark.i - 6) : mark.i]
    degree = next((t for t in reversed(before) if t.lower_ in CONSECUTIVE_DEGREES), None)
    if degree is None or any(quality.is_finite(t) for t in tokens[degree.i + 1 : mark.i]):
        return None
    if degree.lower_.startswith("tel") and degree.i == mark.i - 1:
        return None  # "telle que l'imagination la veut": "as", a manner, not a consequence
    if any(t.lower_ in ("ne", "n'") for t in tokens[: mark.i]) or any(t.text == "?" for t in tokens):
        return None
    return mark if stands_alone(clause, mark) else None


def first_relative_antecedent(pronoun, verb):
    """The antecedent of the second of two coordinated relatives, "un homme
    qui habitait la rue Neuve | et qui possédait…": the first relative's, when
    a relative opened by the same pronoun ends just before the "et" (the
    parse often hangs the second clause elsewhere). Else None."""
    tokens = pronoun.doc
    end = pronoun.i - 2  # the word before the coordinator
    while end >= 0 and tokens[end].text == ",":
        end -= 1
    # "une robe qui venait de Paris et que sa mère lui avait donnée": qui and que coordinate.
    same = ("qui", "que", "qu'") if pronoun.lower_ in ("qui", "que", "qu'") else (pronoun.lower_,)
    for earlier in reversed(tokens[: max(0, end)]):
        clause = earlier.head
        if earlier.lower_ in same and clause.dep_ == "acl:relcl" and clause.head.i < earlier.i:
            noun = clause.head
            if end not in {t.i for t in clause.subtree} or noun.pos_ not in ("NOUN", "PROPN"):
                return None
            if any(t.pos_ in ("NOUN", "PROPN") for t in tokens[noun.i + 1 : earlier.i]):
                return None  # "le corsage de l'Aquila qui…": which noun the first relative is on, the parse cannot say
            return whole_coordination(noun, verb)
    return None


# Verbs whose passive participle takes a noun after it: "une revue, appelée la Revue de l'Est".
NAMING_VERBS = frozenset("appeler nommer surnommer baptiser prénommer qualifier".split())


def detached_participle(verb) -> bool:
    """Can the participle ``verb``, set off by commas, be said of its noun
    with "être"? A past participle, without an object of its own right after
    it ("choisi un appartement" is a compound tense's), and with no subject
    ("…, dit monsieur de Watteville"); never a present participle ("Philomène
    était tenant la plume" is no French)."""
    if "Pres" in verb.morph.get("Tense") or verb.lower_.endswith("ant"):
        return False
    if any(c.dep_ in ("nsubj", "nsubj:pass") for c in verb.children):
        return False
    tokens = verb.doc
    return verb.lemma_ in NAMING_VERBS or not any(
        c.dep_ == "obj" and c.i > verb.i and not any(t.is_punct for t in tokens[verb.i + 1 : c.i])
        for c in verb.children
    )


def in_a_list(noun) -> bool:
    """Is the bare noun ``noun`` followed, after a comma, by another bare
    noun ("routes, chemins de fer, canaux, sentiers perdus"): one item of
    a list the sentence enumerates?"""

    def bare(token) -> bool:
        return token.pos_ == "NOUN" and not any(c.dep_ == "det" for c in token.children)

    def listed(child) -> bool:  # "routes, chemins, canaux", not "ville triste et dévote"
        return child.dep_ == "appos" or child.dep_ == "conj" and not any(g.dep_ == "cc" for g in child.children)

    if any(listed(c) and bare(c) for c in noun.children):
        return True  # the parse hangs the next items on this one
    tokens = noun.doc
    end = max(t.i for t in noun.subtree)
    return end + 2 < len(tokens) and tokens[end + 1].text == "," and bare(tokens[end + 2])


def agrees_in_number(word, noun) -> bool:
    """Can an adjective or participle be said of ``noun``: not a singular
    form ("choisi") of a plural noun ("jours")? Only that way round: "assis",
    "heureux" are both numbers, and the tagger's number for them is a guess."""
    plural_noun = gender_number(noun)[1] == "Plur"
    return not plural_noun or word.lower_.endswith(("s", "x")) or "Plur" in word.morph.get("Number")


def reported_clause_mark(clause):
    """The "que" that opens ``clause``, or None."""
    return next((c for c in clause.children if c.dep_ == "mark" and c.lower_ in ("que", "qu'")), None)


def finite_of(verb):
    """The finite word of a clause: the verb, or its auxiliary or copula."""
    if quality.is_finite(verb):
        return verb
    return next((c for c in verb.children if c.dep_ in ("cop", *quality.AUXILIARY_DEPS) and quality.is_finite(c)), verb)


def agreeing_participle(verb):
    """The past participle of a compound tense with avoir that agrees with a
    preceding object ("écrite", "envoyés"), or None."""
    auxiliaries = [c for c in verb.children if c.dep_ in ("aux", "aux:tense") and c.lemma_ == "avoir"]
    if not auxiliaries or not verb.lower_.endswith(("e", "s")):
        return None
    if "Fem" in verb.morph.get("Gender") or "Plur" in verb.morph.get("Number"):
        return verb
    return None


def object_pronoun(noun) -> str | None:
    """The clitic that stands for ``noun`` as a direct object, or None where its gender is unknown."""
    gender, number = gender_number(noun)
    if number == "Plur":
        return "les"
    return {"Masc": "le", "Fem": "la"}.get(gender)


def relative_que(mark) -> bool:
    """Is this "que", which the parse reads as a conjunction, the object
    pronoun of a relative clause ("un manteau qu'il jeta sur ses épaules",
    "une voix que nous ne reconnûmes pas")? Its clause hangs on the noun
    right before it, and its verb has no object of its own."""
    verb = mark.head
    noun = verb.head
    return (
        mark.lower_ in ("que", "qu'")
        and verb.dep_ == "acl:relcl"
        and noun.pos_ in ("NOUN", "PROPN")
        and noun.i < mark.i
        and not any(c.dep_ in ("obj", "ccomp", "xcomp") for c in verb.children)
    )


def quantity_object(token) -> bool:
    """Is ``token`` an adverb of quantity that is the verb's object ("mis
    trop de choses", "a beaucoup d'amis"), which the parse hangs as an adverb?"""
    return (
        token.dep_ == "advmod"
        and token.lower_ in QUANTITY_ADVERBS
        and any(
            c.pos_ in ("NOUN", "PROPN") and any(g.lower_ in ("de", "d'") for g in c.children) for c in token.children
        )
    )


QUANTITY_ADVERBS = frozenset("trop beaucoup peu assez tant plus moins autant".split())


def agreed(participle: str, gender: str | None, number: str) -> str:
    """A past participle agreeing with its object: "écrit" → "écrite", "vu" → "vus", "pris" → "prises"."""
    form = participle + ("e" if gender == "Fem" and not participle.endswith("e") else "")
    if number == "Plur" and not form.endswith(("s", "x")):
        form += "s"
    return form


def unagreed(participle) -> str:
    """The masculine singular of an agreed participle: "écrite" → "écrit", "envoyées" → "envoyé"."""
    form = participle.text
    if form.endswith("es"):
        form = form[:-2]
    elif form.endswith("e"):
        form = form[:-1]
    elif form.endswith("s") and not form.endswith("is"):
        form = form[:-1]  # "pris", "mis", "assis" are their own masculine singular
    return form


def mark_tokens(mark) -> list:
    """The words of a subordinator: "quand", "parce qu'", "pendant que" (two marks in a row)."""
    tokens = [mark, *(child for child in mark.children if child.dep_ == "fixed")]
    following = mark.doc[mark.i + 1] if mark.i + 1 < len(mark.doc) else None
    if following is not None and following.dep_ == "mark" and following.head == mark.head and following not in tokens:
        tokens.append(following)
    return tokens


def mark_phrase(mark) -> str:
    words = sorted(mark_tokens(mark), key=lambda token: token.i)
    phrase = ""
    for token in words:
        phrase += token.lower_ + ("" if token.text.endswith("'") else " ")
    return phrase.strip()


def gender_number(token) -> tuple[str | None, str]:
    gender = (token.morph.get("Gender") or [None])[0]
    number = (token.morph.get("Number") or ["Sing"])[0]
    conjuncts = [
        c
        for c in token.children
        if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN") and any(g.dep_ == "cc" for g in c.children)
    ]
    if conjuncts:
        genders = {gender, *((c.morph.get("Gender") or [None])[0] for c in conjuncts)}
        if None in genders:
            return None, "Plur"  # "Marie et Jeanne": ils or elles, the parse cannot say
        return ("Masc" if "Masc" in genders else "Fem"), "Plur"
    return gender, number


def subject_words(subject) -> str | None:
    """What stands for ``subject`` in a sentence of its own: its pronoun, or,
    where French gives no pronoun for it (a name of unknown gender, "Marie
    et Jeanne"), the subject itself when it is short."""
    pronoun = subject_pronoun(subject)
    if pronoun is not None:
        return pronoun
    span = list(subject.subtree)
    words = [t for t in span if t.text != "-"]  # "Petit-Jeannot" is three tokens
    if subject.pos_ in ("NOUN", "PROPN") and len(words) <= 4 and all(t.pos_ in NAME_PARTS for t in words):
        return "".join(token.text_with_ws for token in span).strip()
    return None


NAME_PARTS = frozenset({"PROPN", "NOUN", "DET", "CCONJ", "ADP", "ADJ"})


DEMONSTRATIVE_SUBJECTS = {"celui": "il", "celle": "elle", "ceux": "ils", "celles": "elles"}


def subject_pronoun(subject) -> str | None:
    """The pronoun that can stand for ``subject`` as a subject, or None."""
    if subject.lower_ in SUBJECT_PRONOUN_FORMS:
        return "je" if subject.lower_ == "j'" else subject.lower_
    if subject.lower_ in DEMONSTRATIVE_SUBJECTS:
        return DEMONSTRATIVE_SUBJECTS[subject.lower_]  # "Celui-ci leva les yeux, | puis se prit …" → "il"
    if subject.pos_ not in ("NOUN", "PROPN"):
        return None
    gender, number = gender_number(subject)
    if gender is None:
        return None
    return {("Masc", "Sing"): "il", ("Fem", "Sing"): "elle", ("Masc", "Plur"): "ils", ("Fem", "Plur"): "elles"}[
        (gender, number)
    ]


def antecedent_phrase(noun, *, short: bool = False) -> str | None:
    """What stands for a relative's antecedent in a sentence of its own: a
    coordination whole, as the source has it ("Philomène et sa mère", "le
    père et la mère"), else the noun with a demonstrative ("ces puritains")
    and, unless ``short``, its complement right after it ("ces puritains de
    la Gauche")."""
    conjuncts = coordinated(noun)
    if conjuncts:
        parts = list(noun_phrase(noun))
        for conjunct in conjuncts:
            parts.extend(c for c in conjunct.children if c.dep_ == "cc" and c.i < conjunct.i)
            parts.extend(noun_phrase(conjunct))
        parts.sort(key=lambda token: token.i)
        text = " ".join(token.text for token in parts)
        # "Le père et la mère" opened the source: its capital is the sentence's, not the article's.
        return text[:1].lower() + text[1:] if parts[0].pos_ == "DET" else text
    phrase = demonstrative_phrase(noun, short=short)
    complement = None if short else noun_complement(noun)
    return f"{phrase} {complement}" if phrase and complement else phrase


def whole_coordination(noun, verb):
    """The first noun of the coordination ``noun`` ends, when the relative's
    verb is plural ("le père et la mère qui prirent": the parse hangs "qui"
    on the last noun); else ``noun``."""
    if noun.dep_ == "conj" and noun in coordinated(noun.head) and quality.form_number(finite_of(verb)) == "Plur":
        return noun.head
    return noun


def coordinated(noun) -> list:
    """The nouns coordinated with ``noun`` by "et" or "ou" ("le père et la mère")."""
    return [
        c
        for c in noun.children
        if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN") and any(g.dep_ == "cc" for g in c.children)
    ]


def noun_complement(noun) -> str | None:
    """A short "de" complement right after ``noun`` ("de la Gauche"), as the source has it."""
    complement = next((c for c in noun.children if c.dep_ == "nmod" and c.i > noun.i), None)
    if complement is None:
        return None
    span = list(complement.subtree)
    if span[0].i != noun.i + 1 or span[0].lower_ not in ("de", "d'", "du", "des") or len(span) > 4:
        return None
    if any(t.is_punct or t.pos_ in ("VERB", "AUX", "PRON") for t in span):
        return None
    return "".join(token.text_with_ws for token in span).strip()


def agrees(finite, antecedent) -> bool:
    """Does the relative's verb agree in number with its antecedent? Where
    the verb's morphology says its number and the antecedent's differs, the
    antecedent is wrong ("la Gauche qui font"). A coordination is plural;
    a noun's number is its determiner's where the tagger gives both."""
    if not quality.is_finite(finite) or not quality.conjugated(finite):
        return True
    if coordinated(antecedent):
        number = "Plur"
    else:
        determiner = next((c for c in antecedent.children if c.dep_ == "det" and c.morph.get("Number")), None)
        numbers = (determiner.morph.get("Number") if determiner is not None else None) or antecedent.morph.get("Number")
        number = numbers[0] if numbers else None
    # The form says the verb's number: the tagger reads "prirent" as a singular now and then.
    return number is None or quality.form_number(finite) in (None, number)


def agrees_in_gender(verb, antecedent) -> bool:
    """Does a participle or adjective after "être" in the relative clause
    agree in gender with the antecedent ("la Reine du Sabbat, qui était
    restée": not "Sabbat")? Judged only where both genders are plain: the
    participle's by its form ("restée" ends in -e), the noun's by the
    tagger, and no coordination."""
    if coordinated(antecedent) or not any(c.dep_ in ("cop", "aux:pass", "aux", "aux:tense") for c in verb.children):
        return True
    if "Part" not in verb.morph.get("VerbForm") and verb.pos_ != "ADJ":
        return True
    noun_gender = antecedent.morph.get("Gender")
    said = verb.morph.get("Gender")
    if not noun_gender or not said:
        return True
    feminine_form = verb.lower_.endswith(("ée", "ées", "ie", "ies", "ue", "ues", "te", "tes", "se", "ses"))
    if said == ["Fem"] and feminine_form:
        return noun_gender == ["Fem"]
    if said == ["Masc"] and not verb.lower_.endswith(("e", "es")):
        return noun_gender == ["Masc"]
    return True


def demonstrative_phrase(noun, *, short: bool = False) -> str | None:
    """ "cet homme", "cette maison", "ces salons"; a name stays a name."""
    if noun.pos_ == "PROPN":
        name = [noun, *(c for c in noun.children if c.dep_ in ("flat:name", "flat"))]
        return " ".join(token.text for token in sorted(name, key=lambda token: token.i))
    gender, number = gender_number(noun)
    # The adjectives before the noun stay with it: "ces jeunes gens", "ce vieil avocat".
    before = [] if short else [c for c in noun.children if c.dep_ == "amod" and c.i == noun.i - 1]
    words = " ".join(token.text for token in [*before, noun])
    if number == "Plur":
        return "ces " + words
    if gender == "Fem":
        return "cette " + words
    if gender == "Masc":
        return ("cet " if VOWEL_START.match(words) else "ce ") + words
    return None


TITLE_ABBREVIATIONS = frozenset({"M.", "MM.", "Mme", "Mmes", "Mlle", "Mlles", "Mgr", "Dr", "Me"})


def lower_first(text: str) -> str:
    """The first word after a prefix, in lower case (a name keeps its capital: the caller knows)."""
    head, _, rest = text.partition(" ")
    if head == "A":
        return "à" + (" " + rest if rest else "")  # the old typography's capital "A" is "À"
    if head in TITLE_ABBREVIATIONS:
        return text  # "M. Magnus", "Mme de Watteville"
    if head[:1].isupper() and not head[1:2].isupper():
        return head[:1].lower() + head[1:] + (" " + rest if rest else "")
    return text


def elide(text: str, aspirated: frozenset[str] = frozenset(), source: str = "") -> str:
    """The elisions a word needs before a vowel once the rewrite has added
    or left out words: "je" → "j'", "que" → "qu'", "le" → "l'" ("le plus
    grand avocat" never becomes "le avocat")…; not before a word the source
    itself does not elide before ("de huit heures", "le haut"): its h is
    aspirated. "de le" becomes "du" where the rewrite wrote it, not where
    the ``source`` has it: there "le" is a pronoun ("le tour de le nommer")."""

    def elided(found: re.Match) -> str:
        following = re.match(r"[\w-]+", text[found.end() :])
        if following is not None and following.group(0).lower() in aspirated:
            return found.group(0)
        word = found.group(1)
        return word[:-1] + "'" if word.lower() == "que" else word[0] + "'"

    text = re.sub(r"\b([JjDdSsNnMmTtLl]e|[Qq]ue|[Ll]a) (?=[aeiouyhàâéèêîôûAEIOUYHÀÂÉÈÊÎÔÛ])", elided, text)

    def contracted(found: re.Match) -> str:
        if source and re.search(re.escape(found.group(0)) + r"\b", source, re.IGNORECASE):
            return found.group(0)
        return found.group(1) + ("u " if found.group(2) == "le" else "es ") + found.group(3)

    return re.sub(r"\b([Dd])e (les?) ([\w-]+)", contracted, text)


def finish(text: str, *, last: bool) -> str:
    """Capital after the dialogue mark, a sentence mark at the end, guillemets closed."""
    text = text.strip()
    text = re.sub(r"\s+", " ", text)
    found = re.match(r"^([\s«“\"(\[–—―-]*)(.*)$", text, re.DOTALL)
    lead, body = found.group(1), found.group(2)
    if body[:1].islower():
        body = body[:1].upper() + body[1:]
    text = lead + body
    closing = re.search(r"[\s»”\")\]]*$", text)
    tail = closing.group(0) if closing else ""
    core = text[: len(text) - len(tail)]
    if not core.endswith(END_MARKS):
        core = CLOSING_PUNCT.sub("", core) + "."
        if core == ".":
            return text
    text = core + tail
    opened, closed = text.count("«"), text.count("»")
    if opened > closed:
        text += " »"
    elif closed > opened:
        text = "« " + text
    return text
