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
        "L'artillerie de la garde fait son devoir !",  # "fait" tagged a participle, with its subject before it
        "C'était lui maintenant qui était inquiet.",  # a cleft, which the parser roots on "inquiet"
        "C'était pour vous emprunter quelques petites pièces...",
        "Le calme était si grand sur le lac.",  # "si" says how much: the parser reads it as "if"
        "Ces hommes à intérêts si divers furent subjugués.",
        "Le député médiocre mais incorruptible n'est qu'une conscience.",  # "ne … que" restricts, it does not relate
        "Il en avala les morceaux.",  # "en" the pronoun, which the parser reads as the gerund's
        "La jeune fille se tourna vers lui et lui dit adieu.",  # "dit" coordinated with a finite verb
        "Et le voilà à la porte du Paradis...",  # "voilà" is the predicate
        "Nous voici enfin arrivés au bout du chemin.",
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
        "Le dîner enfin fini.",  # a participle with its noun is no clause
        "C'est que mort.",
        "Si grand qu'il soit.",  # concessive
        "S'il vient demain.",
        "De sa passion en cachant.",  # a gerund, which the tagger calls finite
        "Vous en rapportant à moi.",
        "C'est en apprenant.",
        "Le ministre de la police dit.",  # nothing said
        "Pour voilà la maison.",  # "voilà" after a preposition is no predicate
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


@pytest.mark.parametrize(
    "line",
    [
        "Cette Gauche font pis.",  # a singular subject, a plural verb
        "Cette mère prirent bientôt le ton.",
        "Le soldat marchèrent vers la ville.",
        "Les soldats marcha vers la ville.",  # a plural subject, a singular verb
        "Ces mêlée cessa comme par enchantement.",  # a plural determiner on a singular noun
        "M. Magnus lui amenèrent Darius.",  # a name alone is singular: "Petit-Jeannot et" was cut
        "Elle prirent bientôt le ton.",  # a pronoun that disagrees
        "Ils est venu.",
    ],
)
def test_a_subject_and_verb_that_disagree_in_number_are_bad_french(line):
    assert not complete(line)


@pytest.mark.parametrize(
    "line",
    [
        "Le père et la mère prirent bientôt le ton.",  # a coordination is plural
        "La plupart des gens sont partis.",  # a collective agrees with its complement
        "Une foule de curieux se pressaient devant la porte.",
        "– Pourquoi cet homme si éloquent a-t-il quitté Paris ?",  # "éloquent" is no verb
        "Les fils du voisin chantaient.",
        "Le fils du voisin chantait.",
        "Alors entrèrent les deux hommes.",
        "Petit-Jeannot et M. Magnus lui amenèrent Darius.",
        "Les Watteville sont de Suisse.",  # a name takes no -s in the plural
        "Le père lui donna une lettre.",
        "Ils viennent.",
        "Il vient.",
    ],
)
def test_agreement_is_judged_only_where_the_morphology_is_plain(line):
    assert complete(line)


@pytest.mark.parametrize(
    "line",
    [
        "Mais elle est.",  # être left without its attribute
        "Elle n'est pas.",
        "Une réunion préparatoire est aux Élections ce qu'est.",  # "ce qu'est" lost its subject
        "Il savait ce que voulait.",
        "On ne s'occupait que.",  # "ne … que" lost its term
        "Aurais-je pu vivre sans ces chères lettres qui.",  # a relative pronoun ends the line
        "Il parlait souvent de.",
        "Il regardait la maison et.",
        "Il regardait la.",
        "Mais ils s'arrêtèrent soudain, haletants, car la bouche.",  # "car" opens a clause that never came
        "Elle ne pensait alors.",  # "ne" lost its "que"
        "Il y avait quinze jours de cela... pendant.",
        "– Ces caresses me font mal, parce.",  # half of "parce que"
        "Il travaillait la nuit afin.",
        "Alors il avait peine à me porter jusque.",
        "Philomène était tenant la plume pour Albert.",  # no tense leads a present participle
        "Ce bonheur était attendant tout de Dieu.",
        "Y préparait la duchesse au changement du Français.",  # the subject was cut away
    ],
)
def test_a_clause_cut_short_is_a_fragment(line):
    assert not complete(line)


@pytest.mark.parametrize(
    "line",
    [
        "Elle est là.",
        "Voilà ce qu'il est.",  # "que" stands for the attribute
        "Il y est.",
        "Où est-il ?",
        "Ainsi soit-il.",
        "– Moi, il me semble que...",  # the speaker trails off
        "C'est pour qui ?",
        "Je ne sais que dire.",
        "Il ne vit que sa fille.",
        "Il sait ce que tu fais.",
        "Il partit, car il pleuvait.",
        "Je suis contre.",
        "Je ne sais.",  # "savoir" takes "ne" alone
        "Rien ne résistait au travail de la Préfecture.",
        "Il partit avant qu'on ne le vît.",
    ],
)
def test_a_clause_with_its_attribute_or_term_is_not(line):
    assert complete(line)


def test_a_determiner_that_outlived_its_noun_is_a_fragment():
    source = parse(["Pendant que je jouais ici cet affreux rôle, tu dormais."])
    # The tagger reads the line alone with "affreux" for the noun: only the source says "rôle" was lost.
    assert complete("Pendant ce temps, je jouais ici cet affreux.")
    assert not quality.verdict(parse(["Pendant ce temps, je jouais ici cet affreux."])[0], source).complete
    assert not quality.verdict(
        parse(["Il regardait la vieille."])[0], parse(["Il regardait la vieille maison."])
    ).complete
    assert quality.verdict(
        parse(["Il regardait la vieille."])[0], parse(["Il regardait la vieille, qui riait."])
    ).complete


def test_a_short_line_is_a_reply_only_where_its_source_is_one():
    cut = parse(["Tu ne connais donc pas ton histoire de France ?"])
    exclaimed = parse(["Oh ! mon Dieu ! comme j'ai prié pour elle."])

    assert complete("Pas ton histoire de France ?")  # alone, it could be a reply
    assert not quality.verdict(parse(["Pas ton histoire de France ?"])[0], cut).complete
    assert quality.verdict(parse(["Oh !"])[0], exclaimed).complete
    assert quality.verdict(parse(["Mon Dieu !"])[0], exclaimed).complete
    assert quality.verdict(parse(["– Oui, monsieur."])[0], parse(["– Oui, monsieur."])).complete


@pytest.mark.parametrize(
    ("line", "source"),
    [
        # A piece of a longer reply, whose only verb is the reporting one.
        ("– Dans ma maison, dit-il.", "– Je ne veux plus jamais revoir cet homme dans ma maison, dit-il."),
        (
            "Avec toute la famille, reprit le baron.",
            "– Nous partirons demain matin pour Genève avec toute la famille, reprit le baron en souriant.",
        ),
        # A verb of saying left without its subject.
        (
            "– Vous avez fait triompher le Chapitre, dit.",
            "– Vous avez fait triompher le Chapitre, dit en souriant le vicaire-général.",
        ),
    ],
)
def test_a_reporting_clause_is_no_main_clause_for_a_piece_of_its_reply(line, source):
    assert not quality.verdict(parse([line])[0], parse([source])).complete


def test_a_reply_and_its_reporting_clause_are_a_sentence():
    assert complete("– Ne faudra-t-il pas vous attendre ? reprit-il avec gravité.")
    assert complete("La baronne le demanda.")
    whole = "– À la Chartreuse, dit l'abbé."  # the source's own short reply
    assert quality.verdict(parse([whole])[0], parse([whole])).complete


def test_a_group_s_source_is_gathered_once_for_all_its_lines(monkeypatch):
    """Gemini's chunk is one group of a thousand source sentences: what the
    judge looks up in them is gathered once, not for each line, and a line
    gets the same verdict from the gathered source as from the sentences."""
    sources = parse(["Il entra dans le salon et salua la baronne.", "– Oui, monsieur !"])
    lines = parse(["Il entra dans le salon.", "Il salua la baronne.", "– Oui, monsieur !", "Il salua."])
    gathered = []
    real = quality.Source.of
    monkeypatch.setattr(quality.Source, "of", lambda docs: gathered.append(len(docs)) or real(docs))

    quality.judge([(sources, lines)])

    assert [n for n in gathered if n] == [len(sources)]
    source = real(sources)
    assert [quality.verdict(doc, source) for doc in lines] == [quality.verdict(doc, sources) for doc in lines]
    assert [quality.verdict(doc, source).complete for doc in lines] == [True, True, True, False]
