"""The prompt contract with Gemini: the markers, the instruction, the
prompt built for a chunk and the reading of an answer.

The prompt marks the owned text and the read-only context with fixed markers
(``OWNED_START`` …) and states the options as ``key: value`` lines, so that
the project's fake Gemini server (``devtools.fakegemini``) can find them.

Plain Python and google-genai's types: no Django, no calls here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from google.genai import types

from jobs.pipeline import local_engine
from jobs.pipeline.text import SourceSentence
from jobs.pipeline.words import count_words

# Answers shorter than this share of the source's words lost text; longer than
# the upper bound, they rewrote the context too.
MIN_WORD_RATIO = 0.5
MAX_WORD_RATIO = 2.0

# Prompt markers (also read by the fake Gemini server).
OWNED_START, OWNED_END = "<<<TEXTE>>>", "<<<FIN_TEXTE>>>"
BEFORE_START, BEFORE_END = "<<<CONTEXTE_AVANT>>>", "<<<FIN_CONTEXTE_AVANT>>>"
AFTER_START, AFTER_END = "<<<CONTEXTE_APRES>>>", "<<<FIN_CONTEXTE_APRES>>>"
PARAGRAPH_PREFIX = "¶ "
HEADING_PREFIX = "# "
REPAIR_HEADER = "CORRECTION"
RECITATION_HEADER = "REFORMULATION"
CONTINUATION_HEADER = "SUITE"
DONE_START, DONE_END = "<<<DEJA_ECRIT>>>", "<<<FIN_DEJA_ECRIT>>>"
OPTION_KEYS = {
    "limit": "limite_mots",
    "min_length": "longueur_min",
    "ignore_dialogue": "ignorer_dialogues",
    "preserve_formatting": "conserver_paragraphes",
    "fix_hyphenation": "reparer_cesures",
}

SYSTEM_INSTRUCTION = f"""\
Tu es un éditeur qui adapte des romans français pour des apprenants.
Tu RÉÉCRIS le texte placé entre {OWNED_START} et {OWNED_END} en phrases françaises
courtes, complètes et naturelles. Couper une phrase au hasard ne suffit pas :
chaque phrase produite doit se lire seule.

Règles :
1. Chaque phrase produite a au plus `{OPTION_KEYS["limit"]}` mots (un mot = un groupe de
   caractères séparé par des espaces qui contient une lettre ou un chiffre).
   C'est une limite stricte.
2. Chaque phrase est complète et correcte : une majuscule au début, une
   ponctuation finale, un sujet et un verbe conjugué chaque fois que c'est
   possible. Quand tu coupes une longue phrase, répète le sujet ou remplace un
   pronom ambigu par le nom qu'il désigne.
3. Garde tout le sens, tous les faits et leur ordre. N'invente rien, n'ajoute
   aucun commentaire, ne résume pas.
4. Évite les phrases de moins de `{OPTION_KEYS["min_length"]}` mots : rattache-les à leur
   voisine si la limite le permet.
5. Le texte entre {BEFORE_START} et {BEFORE_END}, et celui entre
   {AFTER_START} et {AFTER_END}, servent seulement à comprendre :
   n'en réécris aucune phrase, même si elle commence ou se termine là.
6. Dans le texte à réécrire, une ligne qui commence par « ¶ » ouvre un
   paragraphe ; une ligne qui commence par « # » est un titre, à recopier tel
   quel (sans le « # »). Ne recopie jamais les signes « ¶ » ni « # ».
7. Si `{OPTION_KEYS["ignore_dialogue"]}: oui`, omets les répliques des dialogues.
   Sinon, réécris-les comme le reste en gardant les guillemets ou le tiret.
8. Si `{OPTION_KEYS["preserve_formatting"]}: oui`, insère une chaîne vide "" dans la liste
   juste avant la première phrase de chaque paragraphe ou titre. Sinon,
   aucune chaîne vide.
9. Si `{OPTION_KEYS["fix_hyphenation"]}: oui`, répare les mots coupés en fin de ligne
   (« mai- son » devient « maison ») ; sinon garde l'orthographe telle quelle.

Réponds uniquement avec un objet JSON : {{"sentences": ["…", "…"]}}, les phrases
dans l'ordre du texte.
"""

RESPONSE_SCHEMA = types.Schema(
    type=types.Type.OBJECT,
    properties={"sentences": types.Schema(type=types.Type.ARRAY, items=types.Schema(type=types.Type.STRING))},
    required=["sentences"],
)


def _clean(text: str) -> str:
    # Markers must stay unambiguous; newlines inside a sentence would read as new lines.
    return " ".join(text.replace("<<<", "«").replace(">>>", "»").split())


def yes_no(value: bool) -> str:
    return "oui" if value else "non"


def owned_block(sentences: Sequence[SourceSentence]) -> str:
    lines: list[str] = []
    for index, sentence in enumerate(sentences):
        text = _clean(sentence.text)
        if sentence.heading:
            if index:
                lines.append("")
            lines.append(HEADING_PREFIX + text)
        elif sentence.paragraph_start:
            if index:
                lines.append("")
            lines.append(PARAGRAPH_PREFIX + text)
        else:
            lines.append(text)
    return "\n".join(lines)


def build_prompt(
    sentences: Sequence[SourceSentence],
    *,
    context_before: str,
    context_after: str,
    limit: int,
    min_length: int,
    ignore_dialogue: bool,
    preserve_formatting: bool,
    fix_hyphenation: bool,
) -> str:
    options = "\n".join(
        [
            f"{OPTION_KEYS['limit']}: {limit}",
            f"{OPTION_KEYS['min_length']}: {min_length}",
            f"{OPTION_KEYS['ignore_dialogue']}: {yes_no(ignore_dialogue)}",
            f"{OPTION_KEYS['preserve_formatting']}: {yes_no(preserve_formatting)}",
            f"{OPTION_KEYS['fix_hyphenation']}: {yes_no(fix_hyphenation)}",
        ]
    )
    return (
        f"PARAMÈTRES\n{options}\n\n"
        f"{BEFORE_START}\n{_clean(context_before)}\n{BEFORE_END}\n\n"
        f"{OWNED_START}\n{owned_block(sentences)}\n{OWNED_END}\n\n"
        f"{AFTER_START}\n{_clean(context_after)}\n{AFTER_END}\n"
    )


def repair_prompt(prompt: str, problem: str, *, limit: int) -> str:
    return (
        f"{prompt}\n{REPAIR_HEADER}\nTa réponse précédente n'était pas valable : {problem}\n"
        f"Réponds de nouveau, en respectant toutes les règles, en particulier {limit} mots au plus par phrase."
    )


def recitation_prompt(prompt: str) -> str:
    """Google's advice for RECITATION is to reword the request: ask for the
    text's own words to be left behind (the call also runs hotter)."""
    return (
        f"{prompt}\n{RECITATION_HEADER}\nTa réponse précédente a été refusée parce qu'elle recopiait le texte. "
        "Reformule chaque phrase avec tes propres mots et ton propre ordre des mots, "
        "sans citer le texte, en gardant tout le sens et toutes les règles."
    )


def continuation_prompt(prompt: str, done: Sequence[str]) -> str:
    """The rest of a cut answer: the sentences already written are named, so
    that only the text after them is written (and paid for) again."""
    written = "\n".join(_clean(sentence) for sentence in done if sentence)
    return (
        f"{prompt}\n{CONTINUATION_HEADER}\nTa réponse précédente a été coupée. Voici les phrases déjà écrites, "
        f"dans l'ordre :\n{DONE_START}\n{written}\n{DONE_END}\n"
        "Réponds avec le même objet JSON, qui contient seulement les phrases de la suite du texte, "
        "sans répéter celles-ci."
    )


# --- answers -------------------------------------------------------------------------


class Verdict(StrEnum):
    """What an answer calls for, decided before its JSON is read."""

    USABLE = "usable"  # STOP with sentences (some may still break the limit)
    CUT = "cut"  # MAX_TOKENS: the complete sentences are kept, the rest is asked for
    RECITATION = "recitation"  # one reworded retry, then the local engine
    BLOCKED = "blocked"  # safety and the like, or a blocked prompt: no repair, the local engine at once
    REPAIR = "repair"  # empty, OTHER, malformed JSON, text lost: one repair


# Refusals that rewording does not change: a repair would be refused again (and paid).
BLOCKING_FINISHES = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"})
PROMPT_BLOCKED = "PROMPT_BLOCKED"  # the finish reason recorded for promptFeedback.blockReason
EMPTY = "EMPTY"  # HTTP 200, no candidate and no block reason
# A looping answer repeats a sentence; the third time marks where the loop began.
LOOP_REPEATS = 3
LOOP_MIN_WORDS = 3


@dataclass
class Answer:
    verdict: Verdict
    finish: str  # the finish reason as recorded on the chunk (STOP, MAX_TOKENS, RECITATION, PROMPT_BLOCKED …)
    sentences: list[str] | None = None  # USABLE: all of them; CUT: the complete ones kept
    problem: str = ""  # why a repair is needed ("" = none)
    over_limit: list[str] = field(default_factory=list)


def finish_of(response: types.GenerateContentResponse) -> str:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        return PROMPT_BLOCKED
    candidate = response.candidates[0] if response.candidates else None
    if candidate is None:
        return EMPTY
    reason = candidate.finish_reason
    return reason.value if isinstance(reason, types.FinishReason) else str(reason or "STOP")


def parse_answer(
    response: types.GenerateContentResponse, *, limit: int, expected_words: int, preserve_formatting: bool
) -> Answer:
    """Classify the answer by its finish reason, then read what the class allows."""
    finish = finish_of(response)
    if finish == PROMPT_BLOCKED or finish in BLOCKING_FINISHES:
        return Answer(Verdict.BLOCKED, finish)
    if finish == "RECITATION":
        return Answer(Verdict.RECITATION, finish)
    if finish == "MAX_TOKENS":
        kept = tidy(drop_loop(complete_items(response.text or "")), preserve_formatting=preserve_formatting)
        return Answer(Verdict.CUT, finish, sentences=kept)
    if finish == EMPTY:
        return Answer(Verdict.REPAIR, finish, problem="réponse vide")
    if finish not in ("STOP", "FINISH_REASON_UNSPECIFIED"):
        return Answer(Verdict.REPAIR, finish, problem=f"réponse interrompue ({finish})")
    return read_sentences(
        response.text or "",
        finish=finish,
        limit=limit,
        expected_words=expected_words,
        preserve_formatting=preserve_formatting,
    )


def read_sentences(text: str, *, finish: str, limit: int, expected_words: int, preserve_formatting: bool) -> Answer:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return Answer(Verdict.REPAIR, finish, problem="JSON invalide")
    items = data.get("sentences") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        return Answer(Verdict.REPAIR, finish, problem='le JSON doit être {"sentences": [chaînes]}')
    sentences = tidy(items, preserve_formatting=preserve_formatting)
    words = sum(count_words(s) for s in sentences)
    if expected_words and not MIN_WORD_RATIO * expected_words <= words <= MAX_WORD_RATIO * expected_words:
        return Answer(
            Verdict.REPAIR,
            finish,
            problem=f"{words} mots pour un texte de {expected_words} mots : du texte manque ou le contexte a été réécrit",
        )
    over = [s for s in sentences if count_words(s) > limit]
    if over:
        listed = "\n".join(f"- {s}" for s in over[:10])
        problem = f"ces phrases dépassent {limit} mots :\n{listed}"
        return Answer(Verdict.USABLE, finish, sentences=sentences, problem=problem, over_limit=over)
    return Answer(Verdict.USABLE, finish, sentences=sentences)


def complete_items(text: str) -> list[str]:
    """The strings of a JSON array cut anywhere (``{"sentences": ["a", "b", "c…``):
    every item whose closing quote arrived, none after the cut."""
    start = text.find("[")
    items: list[str] = []
    if start < 0:
        return items
    position = start + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] != '"':
            return items
        try:
            item, position = json.decoder.scanstring(text, position + 1)
        except json.JSONDecodeError:
            return items  # the cut fell inside this item
        items.append(item)


def drop_loop(items: list[str]) -> list[str]:
    """The items before a loop: structured output can repeat a sentence until
    the cap; once a sentence of some length comes a third time, its second
    occurrence is where the loop began."""
    seen: Counter[str] = Counter()
    second: dict[str, int] = {}
    for index, item in enumerate(items):
        key = " ".join(item.split())
        if count_words(key) < LOOP_MIN_WORDS:
            continue
        seen[key] += 1
        if seen[key] == 2:
            second[key] = index
        if seen[key] == LOOP_REPEATS:
            return items[: second[key]]
    return items


def tidy(items: list[str], *, preserve_formatting: bool) -> list[str]:
    """Strip, drop the prompt's own marks, keep one "" per paragraph break when asked."""
    out: list[str] = []
    for item in items:
        text = " ".join(item.split())
        for prefix in (PARAGRAPH_PREFIX.strip(), HEADING_PREFIX.strip()):
            if text.startswith(prefix):
                text = text[len(prefix) :].lstrip()
        if text:
            out.append(text)
        elif preserve_formatting and (not out or out[-1]):
            out.append(local_engine.PARAGRAPH_MARK)
    while out and not out[-1]:
        out.pop()
    return out


# --- targeted repairs ------------------------------------------------------------------

FIX_START, FIX_END = "<<<A_CORRIGER>>>", "<<<FIN_A_CORRIGER>>>"
FIX_PROBLEMS = {"over_limit": "trop longue", "fragment": "incomplète (pas de verbe conjugué)"}

REPAIR_INSTRUCTION = f"""\
Tu es un éditeur qui adapte des romans français pour des apprenants.
Entre {FIX_START} et {FIX_END}, chaque ligne « [n] (problème) phrase » est une
phrase d'une adaptation en phrases courtes qui doit être corrigée ; les lignes
« avant : » et « après : » qui la suivent sont ses voisines, à lire seulement.

Pour chaque phrase, écris une ou plusieurs phrases qui la remplacent :
1. Chacune a au plus `{OPTION_KEYS["limit"]}` mots. C'est une limite stricte.
2. Chacune est complète : une majuscule, une ponctuation finale, un sujet et un
   verbe conjugué chaque fois que c'est possible. Une phrase « incomplète »
   se rattache à sa voisine ou reçoit le sujet et le verbe qu'elle sous-entend.
3. Garde tout le sens et l'ordre des faits, n'invente rien, ne répète pas les
   voisines (elles restent telles quelles).

Réponds uniquement avec un objet JSON :
{{"corrections": [{{"numero": n, "phrases": ["…"]}}]}}, une entrée par phrase à corriger.
"""

REPAIR_SCHEMA = types.Schema(
    type=types.Type.OBJECT,
    properties={
        "corrections": types.Schema(
            type=types.Type.ARRAY,
            items=types.Schema(
                type=types.Type.OBJECT,
                properties={
                    "numero": types.Schema(type=types.Type.INTEGER),
                    "phrases": types.Schema(type=types.Type.ARRAY, items=types.Schema(type=types.Type.STRING)),
                },
                required=["numero", "phrases"],
            ),
        )
    },
    required=["corrections"],
)


@dataclass(frozen=True)
class Fix:
    """One sentence of an answer to repair: its place in the answer, its problem, its neighbours."""

    index: int
    problem: str  # a FIX_PROBLEMS key
    text: str
    before: str
    after: str


def targeted_repair_prompt(fixes: Sequence[Fix], *, limit: int, min_length: int) -> str:
    """A prompt naming only the sentences to repair, each with its neighbours: not the chunk."""
    lines = [f"[{number}] ({FIX_PROBLEMS[fix.problem]}) {_clean(fix.text)}" for number, fix in enumerate(fixes, 1)]
    blocks = [
        f"{line}\navant : {_clean(fix.before)}\naprès : {_clean(fix.after)}"
        for line, fix in zip(lines, fixes, strict=True)
    ]
    return (
        f"PARAMÈTRES\n{OPTION_KEYS['limit']}: {limit}\n{OPTION_KEYS['min_length']}: {min_length}\n\n"
        f"{FIX_START}\n" + "\n\n".join(blocks) + f"\n{FIX_END}\n"
    )


def read_corrections(response: types.GenerateContentResponse, count: int, *, limit: int) -> dict[int, list[str]]:
    """Correction n (1-based, as numbered in the prompt) → its sentences; the
    numbers missing, malformed or still over the limit are left out (the
    local engine takes them)."""
    if finish_of(response) != "STOP":
        return {}
    try:
        data = json.loads(response.text or "")
    except (json.JSONDecodeError, ValueError):
        return {}
    items = data.get("corrections") if isinstance(data, dict) else None
    fixes: dict[int, list[str]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        number, sentences = item.get("numero"), item.get("phrases")
        if not isinstance(number, int) or not 1 <= number <= count or not isinstance(sentences, list):
            continue
        texts = [" ".join(s.split()) for s in sentences if isinstance(s, str) and s.strip()]
        if texts and all(count_words(s) <= limit for s in texts):
            fixes[number] = texts
    return fixes
