"""Hard French cases for rewrite=simplify (SPEC §8), one group per
transformation, each with its exact expected output. Every expected line was
read as a French teacher would before it was written here; each is also a
complete sentence for the judge, within the limit, and adds no content."""

from __future__ import annotations

import pytest

from jobs.pipeline import local_engine, quality, simplify
from jobs.pipeline.engines import parse
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import count_words

pytestmark = pytest.mark.first_pass

# Coordinated verbs get their subject back: a pronoun of the right person, gender and number, elided before a vowel ("J'ouvris"), or the subject itself where French gives no pronoun for it ("Marie et Jeanne").
RESTORED_SUBJECTS = [
    # "en" before the verb is its pronoun, and "dit" after a finite verb is finite too.
    ("Il déchira le billet et en avala les morceaux.", 8, ["Il déchira le billet.", "Il en avala les morceaux."]),
    (
        "La petite matelassière se tourna du côté de Rynaldo et lui dit avec son joli sourire.",
        8,
        ["La matelassière se tourna du côté de Rynaldo.", "Elle lui dit avec son joli sourire."],
    ),
    # After a connective that opens the new sentence, not before it.
    (
        "Il entra dans le grand salon de la baronne mais salua à peine la vieille dame.",
        8,
        ["Il entra dans le salon de la baronne.", "Mais il salua à peine la vieille dame."],
    ),
    (
        "Il entra dans le salon et salua la baronne avec une grande politesse.",
        8,
        ["Il entra dans le salon.", "Il salua la baronne avec une grande politesse."],
    ),
    (
        "Elle ouvrit la fenêtre et regarda longtemps les montagnes couvertes de neige.",
        8,
        ["Elle ouvrit la fenêtre.", "Elle regarda longtemps les montagnes couvertes de neige."],
    ),
    (
        "Les deux amis quittèrent la ville et marchèrent jusqu'au bord du lac.",
        8,
        ["Les deux amis quittèrent la ville.", "Ils marchèrent jusqu'au bord du lac."],
    ),
    (
        "Les jeunes filles chantaient dans le jardin et riaient de leurs propres chansons.",
        8,
        ["Les jeunes filles chantaient dans le jardin.", "Elles riaient de leurs propres chansons."],
    ),
    (
        "La vieille servante alluma la lampe et apporta le dîner sur un plateau.",
        8,
        ["La vieille servante alluma la lampe.", "Elle apporta le dîner sur un plateau."],
    ),
    (
        "Nous arrivâmes au village à la nuit et trouvâmes l'auberge déjà fermée.",
        8,
        ["Nous arrivâmes au village à la nuit.", "Nous trouvâmes l'auberge déjà fermée."],
    ),
    (
        "Je pris mon chapeau, je sortis de la maison et je marchai vers la rivière.",
        8,
        ["Je pris mon chapeau.", "Je sortis de la maison.", "Je marchai vers la rivière."],
    ),
    (
        "Le notaire relut le testament, ferma son registre et sortit sans un mot.",
        8,
        ["Le notaire relut le testament, ferma son registre.", "Il sortit sans un mot."],
    ),
    (
        "Albert travaillait toute la nuit et dormait à peine quelques heures le matin.",
        8,
        ["Albert travaillait toute la nuit.", "Il dormait à peine quelques heures le matin."],
    ),
    (
        "Madame de Watteville se leva, traversa le salon et ouvrit la porte du jardin.",
        8,
        ["Madame de Watteville se leva, traversa le salon.", "Elle ouvrit la porte du jardin."],
    ),
    (
        "L'abbé de Grancey écouta la jeune fille et lui répondit avec une grande douceur.",
        8,
        ["L'abbé de Grancey écouta la jeune fille.", "Il lui répondit avec une grande douceur."],
    ),
    (
        "Elle avait attendu toute la journée, puis elle était allée se coucher très tard.",
        8,
        ["Elle avait attendu toute la journée.", "Puis elle était allée se coucher très tard."],
    ),
    (
        "Je pris mon chapeau sur la table et ouvris doucement la porte du jardin.",
        8,
        ["Je pris mon chapeau sur la table.", "J'ouvris doucement la porte du jardin."],
    ),
    (
        "Les soldats traversèrent le pont de pierre et entrèrent dans la vieille ville.",
        8,
        ["Les soldats traversèrent le pont de pierre.", "Ils entrèrent dans la vieille ville."],
    ),
    (
        "Les religieuses priaient dans la chapelle et chantaient les psaumes du soir.",
        8,
        ["Les religieuses priaient dans la chapelle.", "Elles chantaient les psaumes du soir."],
    ),
    (
        "Marie et Jeanne sortirent de l'église et rentrèrent ensemble à la maison.",
        8,
        ["Marie et Jeanne sortirent de l'église.", "Marie et Jeanne rentrèrent ensemble à la maison."],
    ),
    (
        "Le comte et la comtesse arrivèrent à midi et repartirent le soir même pour Paris.",
        8,
        ["Le comte et la comtesse arrivèrent à midi.", "Ils repartirent le soir même pour Paris."],
    ),
    (
        "Le vieux médecin examina le malade et hocha la tête sans dire un mot.",
        8,
        ["Le vieux médecin examina le malade.", "Il hocha la tête sans dire un mot."],
    ),
    (
        "Léopold Hannequin lisait le journal et fumait sa pipe près de la fenêtre.",
        8,
        ["Léopold Hannequin lisait le journal.", "Il fumait sa pipe près de la fenêtre."],
    ),
    (
        "Il gagnait 2 000 francs par an et dépensait tout son argent en livres rares.",
        8,
        ["Il gagnait 2 000 francs par an.", "Il dépensait tout son argent en livres rares."],
    ),
    (
        "Chaque soir, il s'habillait avec soin et passait la soirée au cercle.",
        8,
        ["Chaque soir, il s'habillait avec soin.", "Il passait la soirée au cercle."],
    ),
]

# Names with particles keep them whole, and the pronoun that stands for them agrees.
NAMES = [
    (
        "Monsieur de Soulas achetait ses gants à Paris et faisait venir ses cravates de Londres.",
        8,
        ["Monsieur de Soulas achetait ses gants à Paris.", "Il faisait venir ses cravates de Londres."],
    ),
    (
        "Le jeune Léopold Hannequin devint notaire à Paris après la mort de son père.",
        8,
        ["Le jeune Léopold Hannequin devint notaire à Paris.", "C'était après la mort de son père."],
    ),
]

# Independent clauses split at ; and :.
INDEPENDENT_CLAUSES = [
    (
        "Le soleil se couchait derrière les montagnes : la vallée entière devint rose et dorée.",
        8,
        ["Le soleil se couchait derrière les montagnes.", "La vallée entière devint rose et dorée."],
    ),
]

# Relative clauses become sentences with their antecedent restored: "qui" → "cet homme" (or "il" / "elle" where it cannot be taken for another), "où" → "y", "que" → the object after the verb (its participle no longer agrees).
RELATIVES = [
    # "que" as the object pronoun, even where the parse reads it as a conjunction; "le", "la" before the verb where
    # the noun would not fit.
    (
        "Maître Henri était allé chercher un manteau qu'il jeta sur les épaules du prince.",
        8,
        ["Maître Henri était allé chercher un manteau.", "Il le jeta sur les épaules du prince."],
    ),
    (
        "Ouvrez, répondit une voix rauque que nous ne reconnûmes pas.",
        8,
        ["Ouvrez, répondit une voix rauque.", "Nous ne reconnûmes pas cette voix."],
    ),
    (
        "Elle lui tendit un numéro de gazette qu'elle avait dans la poche de son tablier.",
        8,
        ["Elle lui tendit un numéro de gazette.", "Elle l'avait dans la poche de son tablier."],
    ),
    (
        "Il connaissait un vieil avocat qui plaidait encore devant la cour de Besançon.",
        8,
        ["Il connaissait un vieil avocat.", "Cet avocat plaidait devant la cour de Besançon."],
    ),
    (
        "Elle regardait la maison où son père avait vécu pendant trente ans.",
        8,
        ["Elle regardait la maison.", "Son père y avait vécu pendant trente ans."],
    ),
    (
        "Philomène aperçut une jeune femme qui marchait seule au bord du lac.",
        8,
        ["Philomène aperçut une jeune femme.", "Elle marchait seule au bord du lac."],
    ),
    (
        "Elle pensait à la chambre où elle avait passé toute son enfance heureuse.",
        8,
        ["Elle pensait à la chambre.", "Elle y avait passé toute son enfance heureuse."],
    ),
    (
        "Le vicaire-général salua la baronne, qui le reçut avec une froideur marquée.",
        8,
        ["Le vicaire-général salua la baronne.", "Cette baronne le reçut avec une froideur marquée."],
    ),
    (
        "Elle ne voulait plus jamais revoir cet homme qui l'avait trompée si cruellement.",
        8,
        ["Elle ne voulait plus jamais revoir cet homme.", "Cet homme l'avait trompée si cruellement."],
    ),
    (
        "Sa mère ne disait rien et regardait tristement le feu qui mourait dans la cheminée.",
        8,
        ["Sa mère ne disait rien.", "Elle regardait tristement le feu.", "Ce feu mourait dans la cheminée."],
    ),
    (
        "Elle aimait un jeune homme qui vivait à Paris depuis trois longues années.",
        8,
        ["Elle aimait un jeune homme.", "Il vivait à Paris depuis trois longues années."],
    ),
    (
        "Albert habitait une petite maison où personne ne venait jamais le voir.",
        8,
        ["Albert habitait une petite maison.", "Personne n'y venait jamais le voir."],
    ),
    (
        "Elle retrouva enfin la bague qu'elle avait perdue dans le jardin.",
        8,
        ["Elle retrouva enfin la bague.", "Elle avait perdu cette bague dans le jardin."],
    ),
    (
        "Mon client était innocent, j'ai fait dramatiquement arrêter les vrais coupables, qui étaient témoins.",
        8,
        [
            "Mon client était innocent.",
            "J'ai fait dramatiquement arrêter les vrais coupables.",
            "Ces vrais coupables étaient témoins.",
        ],
    ),
]

# "dont" before the noun it completes becomes the possessive of the antecedent ("sa", "son", "ses"), unless an earlier subject of that number could be taken for the owner; "où" after a noun of time becomes "ce jour-là", after a place "y".
DONT_AND_OU = [
    (
        "Ils visitèrent une vieille église dont le clocher dominait toute la vallée du Doubs.",
        8,
        ["Ils visitèrent une vieille église.", "Son clocher dominait toute la vallée du Doubs."],
    ),
    (
        "Vous habitez une ville dont les rues sont toujours désertes et silencieuses.",
        8,
        ["Vous habitez une ville.", "Ses rues sont toujours désertes et silencieuses."],
    ),
    (
        "Elle se souvenait toujours du jour où elle avait rencontré Albert à Besançon.",
        8,
        ["Elle se souvenait toujours du jour.", "Ce jour-là, elle avait rencontré Albert à Besançon."],
    ),
    (
        "Elle vivait à Genève avec ses parents, où elle avait passé son enfance heureuse.",
        8,
        ["Elle vivait à Genève avec ses parents.", "Elle y avait passé son enfance heureuse."],
    ),
    # What "dont" stood for follows the object it completes, even where the parse hangs "dont" on the verb.
    (
        "Le ministre découvrit une conspiration dont il ignorait le but.",
        8,
        ["Le ministre découvrit une conspiration.", "Il ignorait le but de cette conspiration."],
    ),
]

# Negation stays whole in its sentence: "ne … jamais", "ne … personne", "ne … pas".
NEGATION = [
    (
        "Il ne sortait jamais de sa chambre et ne recevait personne chez lui.",
        8,
        ["Il ne sortait jamais de sa chambre.", "Il ne recevait personne chez lui."],
    ),
    (
        "– Vous ne partirez pas ce soir, dit-il, la route de Genève est trop dangereuse.",
        8,
        ["– Vous ne partirez pas ce soir, dit-il.", "– La route de Genève est trop dangereuse."],
    ),
]

# Quotes inside quotes stay closed, each line with its own guillemets; the reporting clause ("murmura-t-elle") stays with its reply.
NESTED_QUOTES = [
    (
        "« Il m'a dit : « Je reviendrai demain », et il n'est jamais revenu », murmura-t-elle.",
        8,
        ["« Il m'a dit : « Je reviendrai demain ». »", "« Il n'est jamais revenu », murmura-t-elle."],
    ),
    (
        'Il lui dit en riant : « Votre père m\'a dit : "Revenez demain". »',
        8,
        ["Il lui dit en riant.", '« Votre père m\'a dit : "Revenez demain". »'],
    ),
]

# Subordinate clauses cut from their main clause: the subordinator goes and a connective keeps the meaning ("Alors", "Car", "Pendant ce temps", "Aussitôt", "Donc"), or the order of the two sentences says it.
SUBORDINATES = [
    (
        "Quand il eut fini sa longue lettre, il la relut deux fois avec attention.",
        8,
        ["Il eut fini sa longue lettre.", "Alors, il la relut deux fois avec attention."],
    ),
    (
        "Il resta chez lui toute la journée parce qu'il pleuvait très fort sur la ville.",
        8,
        ["Il resta chez lui toute la journée.", "Car il pleuvait très fort sur la ville."],
    ),
    (
        "Pendant que la baronne parlait avec l'abbé, Philomène regardait le jardin.",
        8,
        ["La baronne parlait avec l'abbé.", "Pendant ce temps, Philomène regardait le jardin."],
    ),
    (
        "Lorsque la nuit tomba sur la ville, les cloches de la cathédrale sonnèrent.",
        8,
        ["La nuit tomba sur la ville.", "Alors, les cloches de la cathédrale sonnèrent."],
    ),
    (
        "Elle ne sortait plus guère depuis l'hiver, parce qu'elle craignait le froid.",
        8,
        ["Elle ne sortait plus guère depuis l'hiver.", "Car elle craignait le froid."],
    ),
    (
        "Dès que la voiture s'arrêta devant l'hôtel, les domestiques accoururent sur le perron.",
        8,
        ["La voiture s'arrêta devant l'hôtel.", "Aussitôt, les domestiques accoururent sur le perron."],
    ),
    (
        "Tandis que les hommes jouaient aux cartes, les femmes causaient près du feu.",
        8,
        ["Les hommes jouaient aux cartes.", "Les femmes causaient près du feu."],
    ),
    (
        "Puisque vous refusez de parler, je m'adresserai directement à votre père.",
        8,
        ["Vous refusez de parler.", "Donc je m'adresserai directement à votre père."],
    ),
    (
        "Quand la pluie cessa enfin, les promeneurs sortirent de nouveau dans les rues.",
        8,
        ["La pluie cessa enfin.", "Les promeneurs sortirent de nouveau dans les rues."],
    ),
    (
        "Lorsque le père revint de la chasse, toute la maison était endormie.",
        8,
        ["Le père revint de la chasse.", "Toute la maison était endormie."],
    ),
    (
        "Nous partirons demain matin parce que la route est longue jusqu'à Lucerne.",
        8,
        ["Nous partirons demain matin.", "Car la route est longue jusqu'à Lucerne."],
    ),
    (
        "Pendant que les dames causaient au salon, les hommes fumaient sur la terrasse.",
        8,
        ["Les dames causaient au salon.", "Les hommes fumaient sur la terrasse."],
    ),
]

# Dialogue keeps its dash or guillemets and its reporting clause; a reply is never merged into narration.
DIALOGUE = [
    (
        "– Mon père, dit Philomène, il se fait une Revue à Besançon, tu devrais bien t'y abonner.",
        8,
        ["– Mon père, dit Philomène.", "– Il se fait une Revue à Besançon.", "– Tu devrais bien t'y abonner."],
    ),
    (
        "« Viens ici tout de suite, mon enfant, nous allons partir ce soir ! » cria la mère.",
        8,
        ["« Viens ici tout de suite, mon enfant. »", "« Nous allons partir ce soir ! » cria la mère."],
    ),
    (
        "– Monsieur, dit le domestique, une dame vous attend dans le petit salon.",
        8,
        ["– Monsieur, dit le domestique.", "– Une dame vous attend dans le petit salon."],
    ),
    (
        "– Venez demain, ajouta l'abbé, nous parlerons de cette affaire avec votre mère.",
        8,
        ["– Venez demain, ajouta l'abbé.", "– Nous parlerons de cette affaire avec votre mère."],
    ),
]

# Appositions and detached participles become copular sentences in the tense of the clause.
COPULAR = [
    (
        "Monsieur de Watteville, petit-neveu du fameux Watteville, aimait passionnément le tour et les vieux meubles de sa maison.",
        12,
        [
            "Monsieur de Watteville était le petit-neveu du fameux Watteville.",
            "Il aimait passionnément le tour et les vieux meubles de sa maison.",
        ],
    ),
    (
        "Madame de Watteville, femme d'une grande piété, recevait chaque soir les chanoines de la cathédrale dans son salon.",
        12,
        [
            "Madame de Watteville était une femme d'une grande piété.",
            "Elle recevait chaque soir les chanoines de la cathédrale dans son salon.",
        ],
    ),
    (
        "Ma sœur, toujours malade depuis l'hiver, reste couchée dans sa chambre.",
        8,
        ["Ma sœur est toujours malade depuis l'hiver.", "Elle reste couchée dans sa chambre."],
    ),
    (
        "Rodolphe, assis près de la fenêtre ouverte sur le lac, regardait longtemps les montagnes couvertes de neige.",
        12,
        [
            "Rodolphe était assis près de la fenêtre ouverte sur le lac.",
            "Il regardait longtemps les montagnes couvertes de neige.",
        ],
    ),
]

# A date that opens the sentence becomes "C'était …" in the tense of the clause.
DATES = [
    (
        "En 1834, mademoiselle de Watteville atteignait l'âge de dix-neuf ans.",
        8,
        ["C'était en 1834.", "Mademoiselle de Watteville atteignait l'âge de dix-neuf ans."],
    ),
    (
        "Le 3 mars 1830, Albert Savaron arriva enfin à Besançon avec ses livres.",
        8,
        ["C'était le 3 mars 1830.", "Albert Savaron arriva à Besançon avec ses livres."],
    ),
    (
        "Le 25 décembre 1835, Albert écrivit une longue lettre à la duchesse d'Argaiolo.",
        8,
        ["C'était le 25 décembre 1835.", "Albert écrivit une lettre à la duchesse d'Argaiolo."],
    ),
    (
        "Il gagnait 1 200 francs par an et en dépensait 800 chez le libraire de la ville.",
        8,
        ["Il gagnait 1 200 francs par an.", "Il en dépensait 800.", "C'était chez le libraire de la ville."],
    ),
]

# A time, a place or a purpose cut from its clause becomes "C'était …" in the clause's tense: a place that opens the sentence, and after the clause a time, the place of a person ("chez") or what for ("pour" + infinitive); never a place the verb needs, nor a manner.
SETTINGS = [
    (
        "Les deux amis dînèrent ensemble chez le vieux docteur après la messe du dimanche.",
        8,
        ["Les deux amis dînèrent ensemble chez le docteur.", "C'était après la messe du dimanche."],
    ),
    (
        "Le prince arriva avec toute sa suite à Gersau pendant l'hiver de 1835.",
        8,
        ["Le prince arriva avec sa suite à Gersau.", "C'était pendant l'hiver de 1835."],
    ),
    (
        "Il s'est fait un masque de vieillard pour déjouer la police.",
        8,
        ["Il s'est fait un masque de vieillard.", "C'est pour déjouer la police."],
    ),
    (
        "Dans le petit salon de sa mère, Philomène brodait en silence un mouchoir.",
        8,
        ["C'était dans le petit salon de sa mère.", "Philomène brodait en silence un mouchoir."],
    ),
    (
        "Sous les grands arbres du jardin, les enfants jouaient aux barres avec leurs cousins.",
        8,
        ["C'était sous les grands arbres du jardin.", "Les enfants jouaient aux barres avec leurs cousins."],
    ),
]

# An adjunct cut off after its clause gets the clause's verb back, whole (auxiliary, clitics), with its subject as a pronoun of the right gender and number.
RESTATED = [
    (
        "Il fut reçu par le vieux baron de Watteville dans son cabinet de tourneur.",
        8,
        ["Il fut reçu par le baron de Watteville.", "Il fut reçu dans son cabinet de tourneur."],
    ),
    (
        "Gina m'aurait jeté dans le lac avec une pierre au cou !",
        8,
        ["Gina m'aurait jeté dans le lac.", "Elle m'aurait jeté avec une pierre au cou !"],
    ),
    (
        "Les mariages entre nobles s'arrangent dès le berceau des enfants.",
        8,
        ["Les mariages entre nobles s'arrangent.", "Ils s'arrangent dès le berceau des enfants."],
    ),
    (
        "Ces considérations trouvées par Albert furent redites par les dix négociants.",
        8,
        ["Ces considérations trouvées par Albert furent redites.", "Elles furent redites par les dix négociants."],
    ),
    # The object the first sentence keeps comes back as "le", "la", "les", and a participle after avoir agrees with it.
    (
        "Elle avait écrit une longue lettre à son père pendant la nuit.",
        8,
        ["Elle avait écrit une lettre à son père.", "Elle l'avait écrite pendant la nuit."],
    ),
    (
        "Elle avait caché les lettres de son ami sous son oreiller.",
        8,
        ["Elle avait caché les lettres de son ami.", "Elle les avait cachées sous son oreiller."],
    ),
    (
        "Philomène comprit alors les paroles du vicaire-général dans toute leur étendue.",
        8,
        ["Philomène comprit alors les paroles du vicaire-général.", "Elle les comprit dans toute leur étendue."],
    ),
    (
        "Mariette portait la lettre de mademoiselle Philomène dans son tablier.",
        8,
        ["Mariette portait la lettre de mademoiselle Philomène.", "Mariette la portait dans son tablier."],
    ),
    # The second of two coordinated objects or adjuncts gets the verb back; a title keeps its capital.
    (
        "Le petit garçon avait rejoint le cheval blanc du roi et M. Magnus.",
        8,
        ["Le garçon avait rejoint le cheval du roi.", "Il avait rejoint M. Magnus."],
    ),
    (
        "Ses plaidoiries ont frappé la Cour et les jurés.",
        8,
        ["Ses plaidoiries ont frappé la Cour.", "Elles ont frappé les jurés."],
    ),
    (
        "Il marcha longtemps vers la ville et vers la mer.",
        8,
        ["Il marcha longtemps vers la ville.", "Il marcha vers la mer."],
    ),
    (
        "Elle aimait les fleurs du jardin et les oiseaux du lac.",
        8,
        ["Elle aimait les fleurs du jardin.", "Elle aimait les oiseaux du lac."],
    ),
    (
        "Le baron de Watteville amassait les coquillages, les insectes et les fragments géologiques du territoire de Besançon.",
        8,
        [
            "Le baron de Watteville amassait les coquillages.",
            "Il amassait les insectes.",
            "Il amassait les fragments du territoire de Besançon.",
        ],
    ),
]

# A reporting clause that cannot fit with its reply becomes narration, its subject first, "le" standing for the reply where the verb needs an object.
REPORTED = [
    (
        "– J'approuve tout ce que fait votre père, répliqua sèchement madame de Watteville.",
        8,
        ["– J'approuve tout ce que fait votre père.", "Madame de Watteville répliqua sèchement."],
    ),
    (
        "– Comment avez-vous pris un étranger pour votre avocat ? demanda la baronne.",
        8,
        ["– Comment avez-vous pris un étranger pour votre avocat ?", "La baronne le demanda."],
    ),
]

# A sentence already short, or a short reply or exclamation, is kept as it is.
SHORT = [
    ("Il pleut.", 8, ["Il pleut."]),
    ("– Oui, monsieur.", 8, ["– Oui, monsieur."]),
    ("Eh bien !", 8, ["Eh bien !"]),
    ("Elle sourit.", 8, ["Elle sourit."]),
    ("– Qui est là ?", 8, ["– Qui est là ?"]),
    ("Ah ! mon Dieu !", 8, ["Ah ! mon Dieu !"]),
    ("Rodolphe se tut.", 8, ["Rodolphe se tut."]),
    ("– Non, monsieur.", 8, ["– Non, monsieur."]),
    ("– Ah ! vous voilà !", 8, ["– Ah ! vous voilà !"]),
    ("Quelle horreur !", 8, ["Quelle horreur !"]),
    ("Il se tut.", 8, ["Il se tut."]),
    ("Elle partit le lendemain.", 8, ["Elle partit le lendemain."]),
    ("– Je vous attendrai, monsieur.", 8, ["– Je vous attendrai, monsieur."]),
    ("Le lac était calme ce soir-là.", 8, ["Le lac était calme ce soir-là."]),
]

# A verb keeps its object, its infinitive or its clause ("s'empêcher de sourire", "avait retenu Berthe", "savait que…"): a cut between them leaves no sentence, so the cut goes elsewhere; a clause of what is known, too long to stay, has "ceci" said for it (COMPLETIVES).
VERB_FRAMES = [
    (
        "Le visiteur ne put s'empêcher de sourire, et il sortit de la boutique sans un mot.",
        8,
        ["Le visiteur ne put s'empêcher de sourire.", "Il sortit de la boutique sans un mot."],
    ),
    (
        "Un geste de sa mère avait retenu Berthe, qui voulait partir avec ses amies.",
        8,
        ["Un geste de sa mère avait retenu Berthe.", "Berthe voulait partir avec ses amies."],
    ),
    (
        "Sa pâleur accusait une grande fatigue, mais elle souriait encore à ses enfants.",
        8,
        ["Sa pâleur accusait une grande fatigue.", "Mais elle souriait encore à ses enfants."],
    ),
    (
        "Elle voulait retenir son ami, mais il partit dans la nuit froide.",
        8,
        ["Elle voulait retenir son ami.", "Mais il partit dans la nuit froide."],
    ),
    (
        "Albert saisit la main de Francesca et la porta à ses lèvres.",
        8,
        ["Albert saisit la main de Francesca.", "Il la porta à ses lèvres."],
    ),
    (
        "Elle comprit que son père ne céderait jamais, et elle quitta le salon.",
        12,
        ["Elle comprit que son père ne céderait jamais.", "Elle quitta le salon."],
    ),
    (
        "Il savait que sa fille aimait le jeune avocat de Besançon depuis longtemps.",
        12,
        ["Il savait ceci.", "Sa fille aimait le jeune avocat de Besançon depuis longtemps."],
    ),
]

# An adjective left out to fit takes its adverb and its "et" with it: "l'état quasi révolutionnaire" → "l'état", never "l'état quasi".
LEFT_OUT_MODIFIERS = [
    (
        "L'état quasi révolutionnaire de la capitale épouvantait la jeune fille.",
        8,
        ["L'état de la capitale épouvantait la fille."],
    ),
    (
        "Une foule très nombreuse et quasi silencieuse attendait le prince.",
        8,
        ["Une foule quasi silencieuse attendait le prince."],
    ),
    (
        "L'état révolutionnaire de la capitale avait épouvanté la jeune fille, qui revint sur ses pas.",
        8,
        ["L'état de la capitale avait épouvanté la fille.", "Cette jeune fille revint sur ses pas."],
    ),
]

# A relative's antecedent is the noun phrase the parse hangs the clause on, a coordination whole, and its verb agrees with it: never "Cette Gauche font pis." from "les puritains de la Gauche qui font pis".
ANTECEDENTS = [
    (
        "Il craignait les amis de la reine qui parlaient trop dans les salons.",
        8,
        ["Il craignait les amis de la reine.", "Ils parlaient trop dans les salons."],
    ),
    (
        "Nous serions mangés tout crus par les puritains de la Gauche qui font pis.",
        12,
        ["Nous serions mangés tout crus par les puritains de la Gauche.", "Ces puritains de la Gauche font pis."],
    ),
    (
        "Il salua Marie et sa mère, qui revenaient de la messe.",
        8,
        ["Il salua Marie et sa mère.", "Marie et sa mère revenaient de la messe."],
    ),
    (
        "Il écoutait le père et la mère qui parlaient de leur fils.",
        8,
        ["Il écoutait le père et la mère.", "Ils parlaient de leur fils."],
    ),
    (
        "Il aimait la musique des violons qui jouaient le soir dans le parc.",
        8,
        ["Il aimait la musique des violons.", "Ces violons jouaient le soir dans le parc."],
    ),
    (
        "Il regardait la fille du notaire, qui était assise près du feu.",
        8,
        ["Il regardait la fille du notaire.", "Cette fille était assise près du feu."],
    ),
    (
        "Il regardait le fils de la voisine, qui était assis près du feu.",
        12,
        ["Il regardait le fils de la voisine.", "Ce fils de la voisine était assis près du feu."],
    ),
]

# A cut never leaves "être" without its place, "ne … que" without its term, "ce que" without its verb's subject: the line keeps them, and what is left over is the fragment.
KEPT_COMPLEMENTS = [
    (
        "Elle ne pensait alors qu'aux deux longues lettres de son ami Albert.",
        12,
        ["Elle ne pensait alors qu'aux deux longues lettres de son ami Albert."],
    ),
    (
        "L'éloquence est rarement dans la Chaire ; mais elle est dans certaines séances où l'ambitieux joue son avenir.",
        8,
        [
            "L'éloquence est rarement dans la Chaire.",
            "Mais elle est dans certaines séances.",
            "L'ambitieux joue son avenir dans ces séances.",
        ],
    ),
]

# A clause of what is said, known or seen, cut from its verb, is a sentence
# of its own without its "que"; the verb says "ceci" for it, after the
# adverbs and the inverted subject that follow it.
COMPLETIVES = [
    (
        "Le vieux notaire savait que la maison de la rue Neuve était vendue.",
        8,
        ["Le vieux notaire savait ceci.", "La maison de la rue Neuve était vendue."],
    ),
    (
        "Sa mère lui répondit que le dîner serait servi à huit heures.",
        8,
        ["Sa mère lui répondit ceci.", "Le dîner serait servi à huit heures."],
    ),
    (
        "Albert comprit alors que la duchesse ne viendrait jamais à Besançon.",
        8,
        ["Albert comprit alors ceci.", "La duchesse ne viendrait jamais à Besançon."],
    ),
    (
        "Rodolphe devina bientôt que ces deux femmes parlaient leur langue maternelle.",
        8,
        ["Rodolphe devina bientôt ceci.", "Ces deux femmes parlaient leur langue maternelle."],
    ),
    # Two clauses of one verb: its "ceci" stands for both.
    (
        "Elle avait cru que sa mère lirait ses projets sur son front et qu'elle lui défendrait d'aller à confesse.",
        8,
        [
            "Elle avait cru ceci.",
            "Sa mère lirait ses projets sur son front.",
            "Elle lui défendrait d'aller à confesse.",
        ],
    ),
    # Dialogue: the reporting clause stays with its verb, the clause keeps its dash.
    (
        "– Je vous assure, dit-elle, que votre fille ne sortira pas ce soir.",
        8,
        ["– Je vous assure ceci, dit-elle.", "– Votre fille ne sortira pas ce soir."],
    ),
    (
        "Le jeune avocat prétendait que la Dent tout entière appartenait à sa commune.",
        8,
        ["Le jeune avocat prétendait ceci.", "La Dent tout entière appartenait à sa commune."],
    ),
]

# The second of two coordinated relatives has the first one's antecedent,
# not the nearest noun ("la rue Neuve"), whatever the parse hangs it on.
SECOND_RELATIVES = [
    (
        "Il connaissait un vieil homme qui habitait la rue Neuve et qui possédait trois maisons dans la ville.",
        8,
        [
            "Il connaissait un vieil homme.",
            "Ce vieil homme habitait la rue Neuve.",
            "Cet homme possédait trois maisons dans la ville.",
        ],
    ),
    (
        "Il regardait la maison où il était né et où son père était mort.",
        8,
        ["Il regardait la maison où il était né.", "Son père était mort dans cette maison."],
    ),
    (
        "Elle aimait un jeune avocat qui était pauvre, et qui ne pouvait pas l'épouser.",
        8,
        ["Elle aimait un jeune avocat qui était pauvre.", "Ce jeune avocat ne pouvait pas l'épouser."],
    ),
]

# A clause of consequence after "si", "tellement", "tel" is a sentence after
# "Alors"; a comparison denied ("pas si bête qu'on le dit") is none.
CONSEQUENCES = [
    (
        "Ils en ont tous été tellement attendris qu'il y en avait qui pleuraient.",
        8,
        ["Ils en ont tous été tellement attendris.", "Alors il y en avait qui pleuraient."],
    ),
    (
        "Le vent soufflait avec une telle force que les arbres du jardin pliaient.",
        8,
        ["Le vent soufflait avec une telle force.", "Alors les arbres du jardin pliaient."],
    ),
    # A name keeps its capital after the connective, whatever the tagger calls it.
    (
        "Ce passage était si étroit que Rynaldo jugeait qu'il avait dû être percé.",
        8,
        ["Ce passage était si étroit.", "Alors Rynaldo jugeait qu'il avait dû être percé."],
    ),
]

GROUPS = {
    "restored_subjects": RESTORED_SUBJECTS,
    "names": NAMES,
    "independent_clauses": INDEPENDENT_CLAUSES,
    "relatives": RELATIVES,
    "antecedents": ANTECEDENTS,
    "kept_complements": KEPT_COMPLEMENTS,
    "dont_and_ou": DONT_AND_OU,
    "negation": NEGATION,
    "nested_quotes": NESTED_QUOTES,
    "settings": SETTINGS,
    "subordinates": SUBORDINATES,
    "dialogue": DIALOGUE,
    "copular": COPULAR,
    "dates": DATES,
    "restated": RESTATED,
    "reported": REPORTED,
    "short": SHORT,
    "verb_frames": VERB_FRAMES,
    "left_out_modifiers": LEFT_OUT_MODIFIERS,
    "completives": COMPLETIVES,
    "second_relatives": SECOND_RELATIVES,
    "consequences": CONSEQUENCES,
}
CASES = [
    pytest.param(*case, id=f"{name}-{index}") for name, group in GROUPS.items() for index, case in enumerate(group)
]


@pytest.mark.parametrize(("text", "limit", "expected"), CASES)
def test_simplify_writes_the_expected_sentences(text, limit, expected):
    lines = local_engine.rewrite([SourceSentence(text)], limit=limit, mode="simplify").sentences

    assert lines == expected
    assert all(count_words(line) <= limit for line in lines)
    assert all(quality.verdict(doc).complete for doc in parse(lines)), lines
    # Nothing invented but the noun of a connective the engine may add ("Pendant ce temps").
    assert quality.compare(parse([text]), parse(lines)).invented_lemmas <= {"temps", "moment"}


# rewrite=split is the faithful mode: cut between the source's own words, nothing added, nothing lost.
SPLIT = [
    (
        "Il entra dans le salon et salua la baronne avec une grande politesse.",
        ["Il entra dans le salon", "et salua la baronne avec une grande politesse."],
    ),
    (
        "Quand il eut fini sa longue lettre, il la relut deux fois avec attention.",
        ["Quand il eut fini sa longue lettre,", "il la relut deux fois avec attention."],
    ),
    (
        "– Mon père, dit Philomène, il se fait une Revue à Besançon, tu devrais bien t'y abonner.",
        ["– Mon père, dit Philomène,", "il se fait une Revue à Besançon,", "tu devrais bien t'y abonner."],
    ),
    (
        "Elle regardait la maison où son père avait vécu pendant trente ans.",
        ["Elle regardait la maison", "où son père avait vécu pendant trente ans."],
    ),
    ("Il pleut.", ["Il pleut."]),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT, ids=[f"split-{i}" for i in range(len(SPLIT))])
def test_split_mode_cuts_between_the_source_words(text, expected):
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="split").sentences

    assert lines == expected
    assert " ".join(lines).split() == text.split()


def test_a_verb_is_not_restated_with_a_subject_the_parse_does_not_make_plain():
    # Two subjects for one verb in the parse ("fois", "il"): restating "fois" would write "Elle déjeunait …".
    text = "La troisième fois il déjeunait dans sa bibliothèque de la manière la plus frugale."
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any(line.startswith("Elle déjeunait") for line in lines), lines


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        # "fit un appel" is what was done: "Il le fit à Dijon." would say nothing.
        ("Le commerce fit un appel à Dôle, à Dijon, à Salins, à Neufchâtel.", " le fit"),
        # The parse hangs "dans les ongles" on "revenu"; it says where the blood was.
        ("Il était revenu auprès de son ami avec du sang dans les ongles et dans les yeux.", "Il était revenu dans"),
        # The parse takes the time for the object: no "Elle la glisse".
        ("La Dame blanche glisse trop souvent la nuit dans les couloirs du palais.", "Elle la glisse"),
        # "trop de choses" is the object of "mis": "J'ai mis dans mes espérances." has lost it.
        ("Hélas ! j'ai mis trop de choses dans mon amour et dans mes espérances.", "J'ai mis dans"),
        # "que" compares: "en" is the object.
        (
            "Ils déploient dans un moment autant de passion que certains hommes en dépensent pendant toute leur vie.",
            "hommes l'en",
        ),
        # A cleft: "de ces clous" is what Bossuet spoke of, no object of "parlé".
        (
            "Peut-être est-ce de ces clous épars que Bossuet a parlé en leur comparant la rareté des moments.",
            "a parlé ces",
        ),
        # "qu'elle pourra": the verb "pouvoir" stands for is left unsaid.
        ("Elle aura des enfants, elle donnera à son mari tous les fonds qu'elle pourra.", "pourra ces"),
    ],
)
def test_a_repair_does_not_follow_the_parse_into_a_wrong_sentence(text, wrong):
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any(wrong in line for line in lines), lines


def test_de_le_contracts_where_the_rewrite_wrote_it_not_before_a_pronoun_s_verb():
    source = "Il a joué le tour à cet avocat de le nommer d'office."

    assert simplify.elide("Il parla de le père.", frozenset(), source) == "Il parla du père."
    assert simplify.elide("Il a joué ce tour de le nommer.", frozenset(), source) == "Il a joué ce tour de le nommer."


def test_a_reply_and_its_reporting_clause_stay_together_where_they_fit():
    text = "– Assez, Philomène ! dit la baronne."

    assert local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences == [text]


def test_a_restored_je_never_goes_before_a_third_person_form():
    # The parse hangs "répliqua" on "approuve"; its subject is the name after it, not "je".
    text = "– J'approuve tout ce que fait votre père, répliqua sèchement madame de Watteville."
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any("Je répliqua" in line for line in lines), lines


def test_added_words_elide_before_a_mute_h_but_not_an_aspirated_one():
    # The source's own "de huit heures" says that h is aspirated.
    aspirated = simplify.Sentence(parse(["Il attendit de huit heures à minuit."])[0]).aspirated

    assert "huit" in aspirated
    assert simplify.elide("Je habitais là de huit heures.", aspirated) == "J'habitais là de huit heures."
    assert simplify.elide("Je habitais là de huit heures.", frozenset()) == "J'habitais là d'huit heures."


# Lines a teacher marked wrong in the bench's sample, each from a longer sentence: where no complete
# line fits the limit, the engine writes a fragment the judge counts as one, never the bad French.
BAD_LINES = [
    (
        "Aussi Philomène et sa mère, qui prirent bientôt le ton et les modes de Paris, furent introduites.",
        8,
        "Cette mère prirent bientôt le ton.",
    ),
    (
        "Nous serions mangés tout crus par les puritains de la Gauche qui font pis, et blâmés.",
        8,
        "Cette Gauche font pis.",
    ),
    (
        "L'éloquence est rarement dans la Chaire aujourd'hui ; mais elle est dans certaines séances de la Chambre des Députés.",
        8,
        "Mais elle est.",
    ),
    (
        "Une réunion préparatoire est aux Élections ce qu'est au Théâtre une répétition générale.",
        8,
        "Une réunion préparatoire est aux Élections ce qu'est.",
    ),
    ("On ne s'occupait que des deux plans de l'avocat Savaron.", 8, "On ne s'occupait que."),
    ("Elle ne pensait alors qu'aux deux longues lettres de son ami Albert.", 8, "Elle ne pensait alors."),
]


@pytest.mark.parametrize(("text", "limit", "bad"), BAD_LINES, ids=[f"bad-{i}" for i in range(len(BAD_LINES))])
def test_simplify_does_not_write_the_lines_a_teacher_marked_wrong(text, limit, bad):
    lines = local_engine.rewrite([SourceSentence(text)], limit=limit, mode="simplify").sentences
    source = parse([text])

    assert bad not in lines
    assert not quality.verdict(parse([bad])[0], source).complete
    assert all(count_words(line) <= limit for line in lines)
    assert quality.compare(source, parse(lines)).kept == quality.compare(source, source).kept  # nothing lost


def test_an_adjective_whose_determiner_the_parse_hangs_on_it_is_not_left_out():
    # The parser reads "cet affreux rôle" with "cet" on "affreux": leaving the adjective out left "rôle" bare.
    lines = local_engine.rewrite(
        [SourceSentence("Je jouais alors dans le théâtre de la ville cet affreux rôle de traître.")],
        limit=12,
        mode="simplify",
    ).sentences

    assert all("ville rôle" not in line for line in lines)
    assert "cet affreux rôle" in " ".join(lines)


def test_a_cut_never_leaves_a_plural_verb_with_half_its_coordinated_subject():
    text = "Elle fit un signe sur lequel Petit-Jeannot et M. Magnus lui amenèrent le cheval."
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any(line.startswith("M. Magnus lui amenèrent") for line in lines)


def test_a_name_restored_for_a_relative_keeps_its_capital_after_a_connective():
    text = "Dès que les délégués eurent disparu, la Reine, qui était restée, fit un signe."
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any("reine" in line for line in lines)


# A "que" clause stays a subordinate where, alone, it would say what the
# source does not: what someone wanted (a subjunctive), denied, supposed or
# asked, or the second term of a comparison.
KEPT_SUBORDINATE = [
    ("La baronne voulait que sa fille épousât le jeune monsieur de Soulas.", "Sa fille épousât"),
    ("Je ne crois pas que votre père soit déjà parti pour Paris.", "Votre père soit"),
    ("Si vous saviez que votre ami était malade depuis trois jours, viendriez-vous ?", "Votre ami était malade"),
    ("Croyez-vous que la baronne reçoive ce soir ses amis de Besançon ?", "La baronne reçoive"),
    ("Il annonçait plus de courage que son frère n'en montrait jamais devant l'ennemi.", "Son frère n'en montrait"),
    ("Il n'est pas si bête qu'on le dit dans toute la ville.", "Alors"),
    (
        "Francesca était bien l'Italienne classique, et telle que l'imagination veut, fait ou rêve, les Italiennes.",
        "Alors",
    ),
]


@pytest.mark.parametrize(
    ("text", "clause"), KEPT_SUBORDINATE, ids=[f"kept-que-{i}" for i in range(len(KEPT_SUBORDINATE))]
)
def test_a_que_clause_is_not_made_a_sentence_where_alone_it_would_say_more(text, clause):
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any(line.startswith(clause) for line in lines), lines
    assert not any("ceci" in line for line in lines), lines


def test_an_adverb_that_leads_a_fixed_phrase_is_not_left_out():
    """ "il serait bien de l'emporter": "bien de" is one phrase, and "Il
    serait de l'emporter" no French; the trims leave it."""
    lines = local_engine.rewrite(
        [SourceSentence("Elle se disait parfois qu'il serait bien de l'emporter sur une duchesse d'Argaiolo.")],
        limit=8,
        mode="simplify",
    ).sentences

    assert not any("serait de" in line for line in lines), lines


def test_a_second_relative_after_a_noun_s_complement_is_not_given_an_antecedent():
    """ "le corsage de l'Aquila qui n'eut pas un geste, mais qui ferma les
    yeux": the parse hangs the relatives on "corsage"; which noun they are
    on, the words cannot say, so the second keeps its "qui" rather than get
    "Mais ce corsage ferma les yeux"."""
    text = "Ce disant, il arracha le corsage de l'Aquila qui n'eut pas un geste, mais qui ferma les yeux."
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any("corsage" in line and "ferma" in line for line in lines), lines
    assert "Mais qui ferma les yeux." in lines


# Repairs the parse leads into bad French, each refused: "il y avait" for
# "où il avait" says "there were"; an auxiliary read as the verb "avoir"
# restated with nothing had; a participle with an object made an attribute.
MISLED_REPAIRS = [
    ("Elle entra dans la chambre où il avait ses livres et ses papiers.", "Il y avait"),
    (
        "Ces concurrents étaient Balthazar de Croatie, Routchouk le Valaque, Hedjaz du grand désert de la mer Rouge, et Attila le Dace.",
        "Balthazar étaient",
    ),
    (
        "Monsieur de Watteville, petit-neveu du fameux Watteville, habitait Besançon, ville triste et dévote.",
        "les ville",
    ),
    ("Il avait couru sur toutes les routes, chemins de fer, canaux, sentiers perdus.", "étaient le chemins"),
    # "savez bien | que" is no "Bien que" (although), whatever the parse joins.
    ("– Vous savez bien que je ne l'ai pas vue depuis deux ans, répondit-il.", "Bien que"),
    # An adverb left out between two commas leaves one comma.
    (
        "– Justement, madame, répondit le nain avec une grande courtoisie, justement, c'est ce que j'expliquais tout à l'heure à Petit-Jeannot.",
        ",,",
    ),
    # "comment" ends in "-ment" but is no adverb of manner to leave out.
    (
        "L'enfant n'a rien voulu vous dire de désagréable, mais seulement vous montrer qu'il n'ignore point comment on s'exprime en français.",
        "point on s'exprime",
    ),
    # "mais seulement vous montrer que…": an infinitive gets no "ceci" and no subject.
    (
        "L'enfant n'a rien voulu vous dire de désagréable, mais seulement vous montrer qu'il n'ignore point comment on s'exprime en français.",
        "ceci",
    ),
    (
        "La malle-poste m'a jeté dans Besançon, où j'ai, dans trois jours de temps, choisi un petit appartement qui a vue sur des jardins.",
        "J'ai dans Besançon",
    ),
    (
        "La malle-poste m'a jeté dans Besançon, où j'ai, dans trois jours de temps, choisi un petit appartement qui a vue sur des jardins.",
        "sont choisi",
    ),
]


@pytest.mark.parametrize(("text", "wrong"), MISLED_REPAIRS, ids=[f"misled-{i}" for i in range(len(MISLED_REPAIRS))])
def test_a_repair_the_parse_misleads_is_refused(text, wrong):
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert not any(wrong in line for line in lines), lines


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("Puis elle disparut tout à coup à mes yeux, comme par enchantement.", "tout à coup"),
        ("Il faut que tu viennes tout de suite à la maison de ta mère.", "tout de suite"),
    ],
)
def test_a_cut_does_not_split_a_locution_the_parse_does_not_join(text, whole):
    lines = local_engine.rewrite([SourceSentence(text)], limit=8, mode="simplify").sentences

    assert any(whole in line for line in lines), lines
