"""Hard French cases for segmentation, hyphenation and the local splitter
(SPEC §8). Every expectation comes from French grammar and typography."""

from __future__ import annotations

import functools
import itertools

import pytest

from jobs.pipeline import local_engine
from jobs.pipeline.cleaning import keeps_hyphen
from jobs.pipeline.segment import split_sentences
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import count_words
from jobs.tests.test_pipeline_text import by_chunks, page, whole

pytestmark = pytest.mark.first_pass

# The faithful split (rewrite=split): these cases hold it to no word added or lost.
rewrite = functools.partial(local_engine.rewrite, mode="split")


def sentences(paragraph: str) -> list[str]:
    return [paragraph[a:b] for a, b in split_sentences(paragraph)]


def cases(*pairs: tuple[str, list[str]]):
    return pytest.mark.parametrize(("paragraph", "expected"), pairs, ids=[p for p, _ in pairs])


# Abbreviations: the full stop of a title or a usual abbreviation is not a
# sentence end; "Cie" and "etc." close what they end, so their stop is the sentence's.
@cases(
    ("M. Dupont salua Mme Durand. Elle sourit.", ["M. Dupont salua Mme Durand.", "Elle sourit."]),
    (
        "MM. Martin et Leroux arrivèrent avec Mlle Rose. Ils dînèrent.",
        ["MM. Martin et Leroux arrivèrent avec Mlle Rose.", "Ils dînèrent."],
    ),
    (
        "Le Dr. Roux et Mme. Vve Morin entrèrent chez Mgr. Troubert.",
        ["Le Dr. Roux et Mme. Vve Morin entrèrent chez Mgr. Troubert."],
    ),
    ("On l'enterra à St. Roch. Il pleuvait.", ["On l'enterra à St. Roch.", "Il pleuvait."]),
    ("Il acheta du pain, du vin, etc. Puis il rentra.", ["Il acheta du pain, du vin, etc.", "Puis il rentra."]),
    (
        "Il lut des auteurs célèbres, par ex. Balzac, et cf. Hugo.",
        ["Il lut des auteurs célèbres, par ex. Balzac, et cf. Hugo."],
    ),
    ("Voir p. 12 et chap. III du livre.", ["Voir p. 12 et chap. III du livre."]),
    (
        "Il travaillait chez Keller et Cie. Le soir, il lisait.",
        ["Il travaillait chez Keller et Cie.", "Le soir, il lisait."],
    ),
    ("Il alla chez son oncle, c.-à-d. Monsieur Grandet.", ["Il alla chez son oncle, c.-à-d. Monsieur Grandet."]),
)
def test_abbreviations(paragraph, expected):
    assert sentences(paragraph) == expected


# Initials: a capital letter and a full stop before a name is an initial
# (J. Dupont, J.-J. Rousseau), even when the name follows another initial.
@cases(
    (
        "J. Dupont et P. Martin signèrent. Le notaire partit.",
        ["J. Dupont et P. Martin signèrent.", "Le notaire partit."],
    ),
    ("Il lisait J.-J. Rousseau. Sa femme cousait.", ["Il lisait J.-J. Rousseau.", "Sa femme cousait."]),
    (
        "Il reçut une lettre de M. A. Savarus. Elle était longue.",
        ["Il reçut une lettre de M. A. Savarus.", "Elle était longue."],
    ),
)
def test_initials(paragraph, expected):
    assert sentences(paragraph) == expected


# Dialogue: a dash opens a reply; the reporting clause (dit-il, demanda-t-elle)
# starts lower-case after , ! ? or … and stays with its line; a dash after a
# sentence end opens the next reply, a dash before a lower-case word closes an incise.
@cases(
    ("– Viens, dit-il.", ["– Viens, dit-il."]),
    ("— Viens, dit-il. Elle vint.", ["— Viens, dit-il.", "Elle vint."]),
    ("– Tu viens ? demanda-t-elle.", ["– Tu viens ? demanda-t-elle."]),
    ("– Non ! s'écria-t-elle. Jamais !", ["– Non ! s'écria-t-elle.", "Jamais !"]),
    ("– Je crois, dit-il, que vous avez raison.", ["– Je crois, dit-il, que vous avez raison."]),
    ("– Où vas-tu ? – Chez ma mère. – Pourquoi ?", ["– Où vas-tu ?", "– Chez ma mère.", "– Pourquoi ?"]),
    ("– Oui… murmura-t-elle.", ["– Oui… murmura-t-elle."]),
    ("– Adieu, monsieur, répondit M. Dupont. – Adieu !", ["– Adieu, monsieur, répondit M. Dupont.", "– Adieu !"]),
    ("– Venez ! – Non ! dit-elle.", ["– Venez !", "– Non ! dit-elle."]),
    ("– Hélas ! fit le curé, il est trop tard.", ["– Hélas ! fit le curé, il est trop tard."]),
    ("Il entra – quelle audace ! – et s'assit.", ["Il entra – quelle audace ! – et s'assit."]),
)
def test_dialogue_dashes_and_reporting_clauses(paragraph, expected):
    assert sentences(paragraph) == expected


# Guillemets: the closing » (and an inner ”) stays with the sentence it closes;
# a lower-case word after it continues the sentence, a capital starts the next.
@cases(
    ("« Viens ! » dit-il.", ["« Viens ! » dit-il."]),
    ("« Viens ! » Elle vint.", ["« Viens ! »", "Elle vint."]),
    ("Il cria : « Au secours ! » et s'enfuit.", ["Il cria : « Au secours ! » et s'enfuit."]),
    ("Il dit : « Je viendrai. » Puis il partit.", ["Il dit : « Je viendrai. »", "Puis il partit."]),
    ("« Oui », dit-il. Puis il sortit.", ["« Oui », dit-il.", "Puis il sortit."]),
    ("« Tu viens ? » demanda-t-elle.", ["« Tu viens ? » demanda-t-elle."]),
    ("« Je viens. Tu restes. »", ["« Je viens.", "Tu restes. »"]),
    ("«Viens!» dit-il. «Non!» Elle resta.", ["«Viens!» dit-il.", "«Non!»", "Elle resta."]),
    (
        "« Il m'a crié “ Halte ! ” et il a tiré », dit le soldat.",
        ["« Il m'a crié “ Halte ! ” et il a tiré », dit le soldat."],
    ),
    ("« Il m'a crié “ Halte ! ” Je me suis arrêté. »", ["« Il m'a crié “ Halte ! ”", "Je me suis arrêté. »"]),
    (
        "Il lut : « Elle m'écrit : “ Je t'attends. ” » Puis il sortit.",
        ["Il lut : « Elle m'écrit : “ Je t'attends. ” »", "Puis il sortit."],
    ),
)
def test_guillemets_and_nested_quotes(paragraph, expected):
    assert sentences(paragraph) == expected


# Ellipses: ... or … before a capital ends the sentence, before a lower-case
# word suspends it; at the start of a reply it opens it; […] marks a cut.
@cases(
    ("Il attendit... Rien ne vint.", ["Il attendit...", "Rien ne vint."]),
    ("Il attendit… puis il partit.", ["Il attendit… puis il partit."]),
    ("Mais… mais… c'est lui !", ["Mais… mais… c'est lui !"]),
    ("Eh bien ?... Parlez !", ["Eh bien ?...", "Parlez !"]),
    ("– Ah !... Vous voilà !", ["– Ah !...", "Vous voilà !"]),
    ("« Je ne sais pas… » murmura-t-elle.", ["« Je ne sais pas… » murmura-t-elle."]),
    ("« Je ne sais pas… » Il se tut.", ["« Je ne sais pas… »", "Il se tut."]),
    ("Il écrivit : « J'arrive […] demain. »", ["Il écrivit : « J'arrive […] demain. »"]),
    ("– ... Et alors ?", ["– ... Et alors ?"]),
)
def test_ellipses(paragraph, expected):
    assert sentences(paragraph) == expected


# ?! and !? are one mark, spaced or not: a capital after them starts a sentence,
# a lower-case word (after the closing quote) continues it.
@cases(
    ("« Quoi ?! » s'écria-t-il.", ["« Quoi ?! » s'écria-t-il."]),
    ("« Vous ici !? » Elle recula.", ["« Vous ici !? »", "Elle recula."]),
    ("– Comment ?! Vous partez ?", ["– Comment ?!", "Vous partez ?"]),
    ("« Quoi ?! » « Oui ! »", ["« Quoi ?! »", "« Oui ! »"]),
    ("« Quoi ?! Tu pars ? » demanda-t-il.", ["« Quoi ?!", "Tu pars ? » demanda-t-il."]),
    ("Quoi ? ! Il part ?", ["Quoi ? !", "Il part ?"]),
)
def test_interrobang_inside_quotes(paragraph, expected):
    assert sentences(paragraph) == expected


# Numbers: a space or point inside a number, an ordinal, a roman numeral
# before a noun never ends a sentence; a full stop after a year or after a
# sovereign's numeral (Louis XIV., Charles X.) does.
@cases(
    ("Il paya 1 500 francs. Elle rit.", ["Il paya 1 500 francs.", "Elle rit."]),
    ("Pi vaut 3.14 environ.", ["Pi vaut 3.14 environ."]),
    ("Il gagna 1.500 francs par an.", ["Il gagna 1.500 francs par an."]),
    (
        "Au XIVe siècle, la peste ravagea l'Europe. Au XVe, tout changea.",
        ["Au XIVe siècle, la peste ravagea l'Europe.", "Au XVe, tout changea."],
    ),
    (
        "Ce fut le 14 juillet 1789. Le peuple prit la Bastille.",
        ["Ce fut le 14 juillet 1789.", "Le peuple prit la Bastille."],
    ),
    ("Il régnait sous Louis XIV. Le roi aimait la guerre.", ["Il régnait sous Louis XIV.", "Le roi aimait la guerre."]),
    ("Louis XIV mourut en 1715.", ["Louis XIV mourut en 1715."]),
    ("Il servit Napoléon Ier. Puis il servit Louis XVIII.", ["Il servit Napoléon Ier.", "Puis il servit Louis XVIII."]),
    ("Le 1er janvier 1800, il neigea. Le 2, il plut.", ["Le 1er janvier 1800, il neigea.", "Le 2, il plut."]),
    ("Il fut ministre de Charles X. Le roi l'aimait.", ["Il fut ministre de Charles X.", "Le roi l'aimait."]),
    ("Rome fut fondée en 753 av. J.-C. Elle grandit vite.", ["Rome fut fondée en 753 av. J.-C.", "Elle grandit vite."]),
    (
        "Auguste mourut en 14 après J.-C. Tibère lui succéda.",
        ["Auguste mourut en 14 après J.-C.", "Tibère lui succéda."],
    ),
    ("Il salua J.-C. Martin. Puis il partit.", ["Il salua J.-C. Martin.", "Puis il partit."]),
)
def test_numbers_dates_and_roman_numerals(paragraph, expected):
    assert sentences(paragraph) == expected


# Line-end hyphens: a real hyphen joins compounds, numerals under a hundred,
# inverted pronouns (dit-il, a-t-il, va-t'en), -ci/-là/-même and names;
# a soft break joins syllables, even when each half is a word (sou-vent).
@pytest.mark.parametrize(
    ("left", "right", "kept"),
    [
        ("grand", "mère", True),
        ("belle", "sœur", True),
        ("arc", "en-ciel", True),
        ("chef", "d'œuvre", True),
        ("c'est", "à-dire", True),
        ("au", "dessus", True),
        ("là", "bas", True),
        ("rendez", "vous", True),
        ("dix", "sept", True),
        ("quatre", "vingt-dix", True),
        ("vingt", "et-un", True),
        ("répondit", "il", True),
        ("viendra", "t-il", True),
        ("irait", "on", True),
        ("va", "t'en", True),
        ("dites", "moi", True),
        ("celui", "ci", True),
        ("celle", "là", True),
        ("eux", "mêmes", True),
        ("Notre", "Dame", True),
        ("Jean", "Jacques", True),
        ("ma", "tin", False),
        ("cham", "bre", False),
        ("sou", "vent", False),
        ("pour", "quoi", False),
        ("mal", "heureux", False),
        ("lors", "que", False),
        ("aujour", "d'hui", False),
        ("quel", "qu'un", False),
        ("jus", "qu'au", False),
        ("Phi", "lomène", False),
        ("l'Eau-de", "l'Empereur", True),
        ("Val", "d'Enfer", True),
    ],
)
def test_line_end_hyphens(left, right, kept):
    assert keeps_hyphen(left, right) is kept


# The book's own spelling settles a compound the lexicon has both ways.
@pytest.mark.parametrize(("nearby", "kept"), [(frozenset({"long-temps"}), True), (frozenset({"longtemps"}), False)])
def test_line_end_hyphen_follows_the_books_spelling(nearby, kept):
    assert keeps_hyphen("long", "temps", nearby) is kept


# Through the whole path: hyphens repaired across lines, a reporting clause
# broken at its hyphen, a narrow no-break space inside a number, chapter
# titles (top of page, or after a finished sentence) kept whole as headings.
def hyphen_book() -> list[str]:
    return [
        page(
            1,
            "CHAPITRE PREMIER",
            "LA MAISON",
            "Le grand-",
            "père lisait au coin du feu depuis le ma-",
            "tin, et il pensait qu'aujour-",
            "d'hui serait un beau jour pour les dix-",
            "sept enfants du village. Il avait payé 1\u202f500 francs le 14 juillet 1789.",
        ),
        page(
            2,
            "– Viens, dit-",
            "il. Elle vint en courant, ses chaussures à la main.",
            "– Non, va-",
            "t'en ! cria-t-",
            "elle.",
        ),
        page(
            3,
            "II. LE DÉPART",
            "Le lendemain, M. Dupont partit pour Paris avec J.-J. Rousseau.",
            "L'AMBITIEUX PAR AMOUR",
            "Rousseau lisait.",
        ),
    ]


def test_hyphens_numbers_and_headings_through_the_pages():
    found = [(s.text, s.heading) for s in whole(hyphen_book()).sentences]
    assert found == [
        ("CHAPITRE PREMIER LA MAISON", True),
        (
            "Le grand-père lisait au coin du feu depuis le matin, et il pensait qu'aujourd'hui serait un beau jour pour les dix-sept enfants du village.",
            False,
        ),
        ("Il avait payé 1 500 francs le 14 juillet 1789.", False),
        ("– Viens, dit-il.", False),
        ("Elle vint en courant, ses chaussures à la main.", False),
        ("– Non, va-t'en ! cria-t-elle.", False),
        ("II. LE DÉPART", True),
        ("Le lendemain, M. Dupont partit pour Paris avec J.-J. Rousseau.", False),
        ("L'AMBITIEUX PAR AMOUR", True),
        ("Rousseau lisait.", False),
    ]
    assert by_chunks(hyphen_book(), 1) == whole(hyphen_book()).sentences


# The splitter (limit 8): short lines stay whole; a long one loses no word,
# keeps the limit, and never cuts a title from its name, a number from its
# thousands, a sovereign from his numeral, nor opens a piece with a closing mark.
@pytest.mark.parametrize(
    "text", ["– Oui, dit-il.", "« Viens ! » dit-il.", "– Tu viens ? demanda-t-elle.", "« Quoi ?! » s'écria-t-il."]
)
def test_short_lines_stay_whole(text):
    assert rewrite([SourceSentence(text)], limit=8).sentences == [text]


LONG_ONES = [
    ("– Je ne veux pas que vous partiez ce soir sans moi, dit-elle en pleurant doucement.", []),
    (
        "M. Dupont et Mme Durand arrivèrent ensemble à la gare de Lyon vers midi avec leurs enfants.",
        [("M.", "Dupont"), ("Mme", "Durand")],
    ),
    ("Il paya 1 500 francs pour une vieille maison de campagne près de la rivière.", [("1", "500")]),
    ("Sous le règne de Louis XIV, la cour quitta Paris pour s'installer à Versailles.", [("Louis", "XIV,")]),
    ("« Viens ici tout de suite, mon enfant, nous allons partir ce soir ! » cria la mère.", []),
]


@pytest.mark.parametrize(("text", "bound"), LONG_ONES, ids=[t for t, _ in LONG_ONES])
def test_long_lines_split_without_losing_words(text, bound):
    pieces = rewrite([SourceSentence(text)], limit=8).sentences
    assert len(pieces) > 1
    assert [w for p in pieces for w in p.split()] == text.split()
    assert all(count_words(p) <= 8 for p in pieces)
    assert not any(p.split()[0] in {"»", "”", ",", "."} for p in pieces)
    cuts = {(a.split()[-1], b.split()[0]) for a, b in itertools.pairwise(pieces)}
    assert not cuts & set(bound)
