"""How good the cleaning and the local engine are, measured on a book and
its plain-text reference (the ``text_quality`` command and
``bench/text_quality.py`` print this).

Every figure compares token sequences, with case and punctuation kept. A
token is a word (hyphens inside it kept, an elided ``l'`` a word of its own)
or one punctuation mark, so the reference's own italics glitches
(``rupes .``, ``l' incroyable``) compare equal to the cleaner's repair, while
a wrongly joined ``grand-père`` or a header left in the text do not.

* recall / precision: reference tokens found in the output, in order, and
  output tokens found in the reference (aligned by resynchronising on runs of equal tokens);
* leftover headers: output stretches that the reference does not have and
  that are a running header, footer or page number of the raw pages;
* hyphenation: every line-end hyphen of the raw pages, judged by which form
  the reference spells (joined or hyphenated), against how many of each form
  the output has;
* the judge's figures (``quality``, the same as every job shows): complete
  share of the output next to the source's own, content coverage and
  invented share, sentences over the limit; and, on request, the complete
  share of a plain "cut at the last comma before the limit" baseline.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import random
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from jobs.pipeline import engines, quality
from jobs.pipeline.cleaning import PAGE_NUMBER, normalise, repetition_key
from jobs.pipeline.text import SourceSentence, chunk_source
from jobs.pipeline.words import HAS_WORD, count_words
from jobs.types import ProcessingSettings

TOKEN = re.compile(r"\w+(?:-\w+)*'?|[^\w\s]")
LINE_END_HYPHEN = re.compile(r"(\w+)-$")
NEXT_WORD = re.compile(r"^(\w+(?:['-]\w+)*)")
# A line is a running header or footer when it opens or closes this many pages.
HEADER_MIN_PAGES = 3
# Alignment: tokens that must agree to resynchronise, and how far to look.
ANCHOR = 4
RESYNC_WINDOW = 2000


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.replace("\u2019", "'"))


@dataclass(frozen=True)
class Alignment:
    reference_tokens: int
    output_tokens: int
    matched: int
    inserted: list[list[str]]  # output stretches the reference does not have

    @property
    def recall(self) -> float:
        return self.matched / self.reference_tokens if self.reference_tokens else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.output_tokens if self.output_tokens else 1.0


def align(reference: Sequence[str], output: Sequence[str]) -> Alignment:
    """Walk both sequences together; where they differ, skip to the nearest
    point (fewest tokens skipped on both sides) where ``ANCHOR`` tokens agree
    again. Linear for sequences this close, where ``difflib`` takes minutes
    on a long book; a stretch that never agrees again counts as unmatched."""
    starts: dict[tuple[str, ...], list[int]] = collections.defaultdict(list)
    for j in range(len(output) - ANCHOR + 1):
        starts[tuple(output[j : j + ANCHOR])].append(j)
    i = j = matched = 0
    inserted: list[list[str]] = []
    while i < len(reference) and j < len(output):
        if reference[i] == output[j]:
            i, j, matched = i + 1, j + 1, matched + 1
            continue
        skip = resync(reference, starts, i, j)
        if skip is None:
            break
        if skip[1]:
            inserted.append(list(output[j : j + skip[1]]))
        i, j = i + skip[0], j + skip[1]
    if j < len(output):
        inserted.append(list(output[j:]))
    return Alignment(len(reference), len(output), matched, inserted)


def resync(
    reference: Sequence[str], starts: dict[tuple[str, ...], list[int]], i: int, j: int
) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for skip_reference in range(min(RESYNC_WINDOW, len(reference) - i)):
        if best is not None and skip_reference >= sum(best):
            break
        positions = starts.get(tuple(reference[i + skip_reference : i + skip_reference + ANCHOR]), [])
        index = bisect.bisect_left(positions, j)
        found = index < len(positions) and positions[index] - j < RESYNC_WINDOW
        if found and (best is None or skip_reference + positions[index] - j < sum(best)):
            best = (skip_reference, positions[index] - j)
    return best


def running_lines(pages: Sequence[str]) -> set[tuple[str, ...]]:
    """Token keys (digits masked) of the lines that open or close at least
    ``HEADER_MIN_PAGES`` raw pages, and of page numbers."""
    seen: collections.Counter[tuple[str, ...]] = collections.Counter()
    keys: set[tuple[str, ...]] = set()
    for raw in pages:
        lines = normalise(raw)
        for line in {*lines[:2], *lines[-2:]}:
            key = tuple(tokens(repetition_key(line)))
            seen[key] += 1
            if PAGE_NUMBER.match(line):
                keys.add(key)
    keys.update(key for key, count in seen.items() if count >= HEADER_MIN_PAGES)
    return {key for key in keys if key}


def leftover_headers(inserted: Iterable[list[str]], headers: set[tuple[str, ...]]) -> int:
    """Inserted stretches that contain a whole running line."""
    found = 0
    for stretch in inserted:
        masked = tuple(tokens(repetition_key(" ".join(stretch))))
        found += any(contains(masked, key) for key in headers)
    return found


def contains(sequence: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(sequence[i : i + len(part)] == part for i in range(len(sequence) - len(part) + 1))


@dataclass(frozen=True)
class Hyphenation:
    line_end_hyphens: int  # judged by the reference (it spells one of the two forms)
    wrongly_joined: int  # a real hyphen removed: "grandpère"
    left_split: int  # a broken word not repaired: "ab-bés"

    @property
    def error_rate(self) -> float:
        return (self.wrongly_joined + self.left_split) / self.line_end_hyphens if self.line_end_hyphens else 0.0


def hyphenation(pages: Sequence[str], reference: Sequence[str], output: Sequence[str]) -> Hyphenation:
    """Line-end hyphens of the raw pages, judged by the reference's spelling."""
    events: collections.Counter[tuple[str, str]] = collections.Counter()
    for raw in pages:
        lines = normalise(raw)
        for line, following in itertools.pairwise(lines):
            left, right = LINE_END_HYPHEN.search(line), NEXT_WORD.match(following)
            if left and right:
                joined, hyphenated = (
                    tokens(left.group(1) + right.group(1))[0],
                    tokens(f"{left.group(1)}-{right.group(1)}")[0],
                )
                events[joined, hyphenated] += 1
    in_reference, in_output = collections.Counter(reference), collections.Counter(output)
    judged = wrongly_joined = left_split = 0
    for (joined, hyphenated), count in events.items():
        real_hyphens = in_reference[hyphenated] > 0
        if not real_hyphens and not in_reference[joined]:
            continue  # a header, or a word the reference spells otherwise
        judged += count
        if real_hyphens:
            wrongly_joined += min(count, max(0, in_reference[hyphenated] - in_output[hyphenated]))
        if in_reference[joined]:
            left_split += min(count, max(0, in_reference[joined] - in_output[joined]))
    return Hyphenation(judged, wrongly_joined, left_split)


def comma_baseline(text: str, limit: int) -> list[list[str]]:
    """Cut at the last comma before the limit, or at the limit: the simple
    splitter the engine is measured against (pieces of whitespace tokens)."""
    rest, pieces = text.split(), []
    while count_words(" ".join(rest)) > limit:
        counted, end, comma = 0, 0, 0
        for index, token in enumerate(rest):
            counted += bool(HAS_WORD.search(token))
            if counted > limit:
                break
            end = index + 1
            if token.endswith(","):
                comma = index + 1
        cut = comma or end
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [*pieces, rest] if rest else pieces


def baseline_judgement(sentences: Sequence[SourceSentence], limit: int) -> quality.Judgement:
    """The judge's view of the cut-at-comma baseline: each long sentence cut, each short one kept."""
    groups, lines = [], []
    for sentence in sentences:
        pieces = [" ".join(piece) for piece in comma_baseline(sentence.text, limit)]
        groups.append(len(pieces))
        lines.extend(pieces)
    docs = iter(engines.parse(lines))
    return quality.judge(([], [next(docs) for _ in range(size)]) for size in groups)


@dataclass(frozen=True)
class QualityReport:
    limit: int
    mode: str
    pages: int
    reference_tokens: int
    output_tokens: int
    recall: float
    precision: float
    leftover_header_lines: int
    line_end_hyphens: int
    hyphens_wrongly_joined: int
    hyphens_left_split: int
    hyphen_error_rate: float
    sentences: int
    sentences_over_limit: int
    over_limit_share: float
    complete_share: float
    source_complete_share: float
    content_coverage: float
    invented_share: float
    baseline_complete_share: float | None
    words: int
    cleaning_seconds: float
    engine_seconds: float
    words_per_second: float
    # (source sentence, output line) pairs drawn with SAMPLE_SEED, to be read by eye.
    sample: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if key != "sample"}


def measure(
    pages: Sequence[str],
    reference_text: str,
    *,
    limit: int = 8,
    min_length: int = 2,
    mode: str = "simplify",
    baseline: bool = False,
    sample: int = 0,
) -> QualityReport:
    """Clean and rewrite ``pages`` (raw pypdf page texts) as one chunk, judge
    it, then compare with the reference. Times are CPU seconds of this
    process; the engine's include the judge, as on a job."""
    started = time.process_time()
    source = chunk_source(
        lambda first, last: list(pages[first - 1 : last]), first=1, last=len(pages), page_count=len(pages)
    )
    cleaned = time.process_time()
    settings = ProcessingSettings(sentence_length_limit=limit, min_sentence_length=min_length, rewrite=mode)
    result = engines.rewrite(source, settings, engines.LOCAL)
    rewritten = time.process_time()
    reference, output = tokens(reference_text), [t for s in result.sentences for t in tokens(s)]
    alignment = align(reference, output)
    hyphens = hyphenation(pages, reference, output)
    figures = result.quality
    comma = baseline_judgement(source.sentences, limit) if baseline else None
    return QualityReport(
        limit=limit,
        mode=mode,
        pages=len(pages),
        reference_tokens=alignment.reference_tokens,
        output_tokens=alignment.output_tokens,
        recall=alignment.recall,
        precision=alignment.precision,
        leftover_header_lines=leftover_headers(alignment.inserted, running_lines(pages)),
        line_end_hyphens=hyphens.line_end_hyphens,
        hyphens_wrongly_joined=hyphens.wrongly_joined,
        hyphens_left_split=hyphens.left_split,
        hyphen_error_rate=hyphens.error_rate,
        sentences=figures.sentences,
        sentences_over_limit=figures.sentences_over_limit,
        over_limit_share=figures.over_limit_share,
        complete_share=figures.complete_share or 0.0,
        source_complete_share=figures.source_complete_share or 0.0,
        content_coverage=figures.content_coverage or 0.0,
        invented_share=figures.invented_share or 0.0,
        baseline_complete_share=comma.complete_lines / max(1, comma.lines_judged) if comma else None,
        words=figures.words,
        cleaning_seconds=cleaned - started,
        engine_seconds=rewritten - cleaned,
        words_per_second=figures.words / max(1e-9, rewritten - started),
        sample=draw(result, sample),
    )


SAMPLE_SEED = 2026


def draw(result: engines.RewriteResult, size: int) -> list[tuple[str, str]]:
    """``size`` output lines with their source sentence, the same ones for the same output."""
    pairs = [(source, line) for source, line in zip(result.sources, result.sentences, strict=True) if line]
    return random.Random(SAMPLE_SEED).sample(pairs, min(size, len(pairs)))
