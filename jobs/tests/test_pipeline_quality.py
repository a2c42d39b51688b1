"""The judge (jobs.pipeline.quality, SPEC §8): which lines read as French
sentences on their own, and what a rewrite keeps and invents."""

from __future__ import annotations

import pytest

from jobs.pipeline import quality
from jobs.pipeline.engines import parse

pytestmark = pytest.mark.first_pass


def complete(line: str) -> bool:
    return quality.verdict(parse([line])[0]).complete


@pytest.mark.parametrize(
    "line",
    [
        "Il entra.",
        "Madame de Watteville échangea rapidement un regard avec le vicaire-général.",  # passé simple tagged a participle
        "On y creuse un fossé pour recevoir toutes les eaux.",  # "creuse" after its subject pronoun
        "Tu mets des conditions à ton concours !",
        "– Ne faudra-t-il pas vous attendre ? reprit-il avec gravité.",
        "« Je viendrai demain. »",
        "Dans cette conversation qui dura deux heures, Rodolphe découvrit l'enthousiasme de Francesca.",
        "– Oui, monsieur.",  # a short reply needs no verb
        "Eh bien !",
        "Pour qui me prenez-vous ?",  # a question's pronoun asks, it does not relate
        "1830 fut une année terrible.",
        "Cet homme possède le privilège de tout dire.",
        "Il était malade. C'est pourquoi il partit.",
    ],
)
def test_sentences_read_as_complete(line):
    assert complete(line)


@pytest.mark.parametrize(
    "line",
    [
        "Un des quelques salons",  # no capital problem, but no verb and no end mark
        "où se produisait l'archevêque de Besançon",
        "sous la Restauration, et celui qu'il affectionnait",
        "était celui de madame la baronne de Watteville.",  # no capital
        "Un des quelques salons où se produisait l'archevêque.",  # the only verb is a relative's
        "Qui possède le privilège de tout dire.",  # opens with a relative pronoun
        "Parce qu'il était malade.",  # a subordinate clause alone
        "Quand tout le monde dort.",
        "Il entra et salua la baronne",  # no end mark
        "Une longue promenade au bord du lac de Genève.",  # more than a short reply, and no verb
    ],
)
def test_fragments_do_not(line):
    assert not complete(line)


def test_the_verdict_says_what_is_missing():
    verdict = quality.verdict(parse(["sous la Restauration, et celui qu'il affectionnait"])[0])

    assert (verdict.capital, verdict.end_mark, verdict.main_clause) == (False, False, False)


def test_coverage_and_invented_content_per_source_sentence():
    source = parse(["Il entra et salua la baronne, qui le reçut avec froideur."])
    lines = parse(["Il entra.", "Il salua la baronne.", "Cette baronne le reçut avec froideur."])

    content = quality.compare(source, lines)
    # entrer, saluer, baronne, recevoir, froideur: all kept, nothing invented
    assert (content.kept, content.source) == (content.source, 5)
    assert content.invented == 0

    invented = quality.compare(source, parse(["Il entra.", "La baronne le reçut avec un grand sourire."]))
    assert invented.kept == 3  # saluer and froideur are lost
    assert invented.invented == 2  # grand, sourire


def test_the_words_a_rewrite_may_add_are_not_invented():
    source = parse(["Monsieur de Watteville, petit-neveu du fameux Watteville, dit oui."])
    lines = parse(["Monsieur de Watteville était le petit-neveu du fameux Watteville.", "Il dit oui."])

    assert quality.compare(source, lines).invented == 0  # "était" is être, a copula the engine may add


def test_judge_sums_groups_and_the_source_is_judged_the_same_way():
    groups = [
        (parse(["Il entra et salua la baronne."]), parse(["Il entra.", "Il salua la baronne."])),
        (parse(["Un des quelques salons où il allait."]), parse(["Un des quelques salons.", "Il allait là."])),
    ]

    judgement = quality.judge(groups)

    assert (judgement.lines_judged, judgement.complete_lines) == (4, 3)
    assert (judgement.source_sentences, judgement.complete_source_sentences) == (2, 1)


@pytest.mark.parametrize(
    "line",
    [
        "Mais un geste de Mme Bleichreider avait retenu.",  # retenir needs its object
        "Le visiteur ne put s'empêcher.",  # s'empêcher needs "de" + infinitive (or "en")
        "Une pâleur d'ambre répandue sur la figure accusait.",
        "Mais l'état quasi de la capitale avait épouvanté.",
        "Un intérêt subit, mais qui n'effaçait pas.",
    ],
)
def test_a_verb_that_needs_an_object_and_lost_it_is_a_fragment(line):
    assert not complete(line)


@pytest.mark.parametrize(
    "line",
    [
        "Il mangeait.",  # used absolutely: good French
        "Elle écrivait.",
        "J'ai trouvé.",
        "Il la retint.",  # the object is a clitic
        "Le visiteur ne put s'en empêcher.",
        "Il saisit et retint sa main.",  # an object shared by two verbs
        "Ils peuvent bien mettre mille écus pour une fantaisie.",  # the parser hangs the object on the modal
        "Ils montèrent dans le premier fiacre qu'ils rencontrèrent.",  # the relative's "que" is the object
        "Mademoiselle de Watteville fut retenue à Besançon.",  # a passive
    ],
)
def test_a_verb_with_its_object_or_used_absolutely_is_not(line):
    assert complete(line)


def test_a_verb_that_lost_the_object_it_had_in_its_source_is_a_fragment():
    # "souffrir" is often absolute ("il souffrait"): only the source says this one lost its object.
    source = parse(["Il souffrit en silence les reproches de sa mère."])

    assert complete("Il souffrit en silence.")
    assert not quality.verdict(parse(["Il souffrit en silence."])[0], source).complete
    assert quality.verdict(parse(["Il souffrit en silence les reproches."])[0], source).complete


@pytest.mark.parametrize(
    "line",
    [
        "Au supplice ne souffre pas ce qu'Albert souffrit.",  # the parser takes "supplice" for the subject
        "De la cabane, s'inclina profondément et entra.",
        "Aurait encore trois fois plus de fortune.",
        "Sera notre avocat dans l'affaire des Rouxey.",
    ],
)
def test_a_finite_verb_whose_subject_was_cut_is_a_fragment(line):
    assert not complete(line)


@pytest.mark.parametrize(
    "line",
    [
        "Exerce ta voix, étudie.",  # imperatives need no subject
        "Cara diva, cultive toujours la musique.",
        "Ouvrez vite, monsieur Baptiste, pour l'amour de Dieu !",
        "Allons le chercher. »",
        "Alors entra un homme.",  # the subject after its verb
        "Ainsi commença, pour ne plus finir, une correspondance entre Rodolphe et Francesca.",
        "– Oui ! répondit l'autre, plein de superbe.",
        "Voilà l'homme.",
        "Francesca rougit.",
        "Et tous frissonnèrent.",
        "Il entra et salua la baronne.",  # a shared subject
    ],
)
def test_a_clause_with_its_subject_or_an_imperative_is_not(line):
    assert complete(line)
