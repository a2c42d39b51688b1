"""The sentences one chunk owns, cleaned, in order.

Sentence ownership (SPEC §3): a chunk owns the sentences that *start* on its
pages. How it is kept exact whatever the chunk size:

* a page is cleaned from a fixed window of raw pages around it
  (``cleaning.WINDOW``), never from where the chunk starts;
* two lines join (space, repaired hyphen or paragraph break) on those two
  lines alone, and a paragraph is split into sentences on its own text alone;
* the chunk assembles cleaned pages from before its first page until a
  paragraph break lies at or before its first page, and past its last page
  until a paragraph break lies after it (one page of overlap is usually
  enough; a sentence or paragraph that runs on makes it read further). Every
  paragraph touching the chunk's pages is then complete, so it splits
  exactly as in the whole book, and the chunk keeps the sentences whose start
  offset falls on its own pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jobs.pipeline import cleaning
from jobs.pipeline.segment import split_sentences

ReadPages = Callable[[int, int], list[str]]
CONTEXT_CHARS = 400
# Pages added at a time when a paragraph runs past what was read.
EXTEND_STEP = 2


@dataclass(frozen=True)
class SourceSentence:
    text: str
    heading: bool = False
    paragraph_start: bool = False  # first sentence of its paragraph
    dialogue: bool = False  # in a paragraph opened by a dialogue dash


@dataclass(frozen=True)
class ChunkSource:
    sentences: list[SourceSentence]
    context_before: str
    context_after: str
    pages_read: int


@dataclass
class Paragraph:
    start: int
    text: str
    heading: bool = False


@dataclass
class Assembled:
    """Cleaned text of a page range: paragraphs with offsets in one string
    where paragraphs are separated by a newline."""

    paragraphs: list[Paragraph] = field(default_factory=list)
    page_starts: dict[int, int] = field(default_factory=dict)
    length: int = 0

    def text(self) -> str:
        return "\n".join(paragraph.text for paragraph in self.paragraphs)

    def new_paragraph(self, text: str, *, heading: bool = False) -> None:
        if self.paragraphs:
            self.length += 1
        self.paragraphs.append(Paragraph(start=self.length, text=text, heading=heading))
        self.length += len(text)

    def extend_paragraph(self, before: str, kept: str, separator: str, text: str) -> None:
        """Join ``text`` to the last paragraph, which ends with the line ``before``."""
        last = self.paragraphs[-1]
        last.text = last.text[: len(last.text) - len(before)] + kept + separator + text
        self.length = last.start + len(last.text)

    def break_between(self, low: int, high: float) -> bool:
        """Does a paragraph (not the first one read) start within [low, high]?"""
        return any(low <= p.start <= high for p in self.paragraphs[1:])


@dataclass(frozen=True)
class Line:
    text: str
    page: int
    heading: bool = False


class Book:
    """Raw and cleaned pages, each read once, through ``read_pages``."""

    def __init__(self, read_pages: ReadPages, page_count: int, fix_hyphenation: bool) -> None:
        self.read_pages = read_pages
        self.page_count = page_count
        self.fix_hyphenation = fix_hyphenation
        self.normalised: dict[int, list[str]] = {}
        self.cleaned: dict[int, cleaning.PageLines] = {}
        self.widths: dict[int, float] = {}
        self.vocabulary: dict[int, frozenset[str]] = {}

    def load(self, first: int, last: int) -> None:
        first, last = max(1, first), min(self.page_count, last)
        for low, high in runs([p for p in range(first, last + 1) if p not in self.normalised]):
            for number, raw in zip(range(low, high + 1), self.read_pages(low, high), strict=True):
                self.normalised[number] = cleaning.normalise(raw)

    def page(self, number: int) -> cleaning.PageLines:
        if number not in self.cleaned:
            self.load(number - cleaning.WINDOW, number + cleaning.WINDOW)
            self.cleaned[number] = cleaning.clean_page(self.normalised, number, self.page_count)
            self.widths[number] = cleaning.line_width(self.normalised, number, self.page_count)
        return self.cleaned[number]

    def nearby_words(self, number: int) -> frozenset[str]:
        if number not in self.vocabulary:
            self.page(number)  # loads the window
            self.vocabulary[number] = cleaning.nearby_words(self.normalised, number, self.page_count)
        return self.vocabulary[number]

    def assemble(self, first: int, last: int) -> Assembled:
        out = Assembled()
        previous: Line | None = None
        for number in range(first, last + 1):
            page = self.page(number)
            out.page_starts[number] = out.length  # kept only for a page with no text
            if page.headings:
                out.new_paragraph(" ".join(page.headings), heading=True)
                out.page_starts[number] = out.paragraphs[-1].start
                previous = Line(page.headings[-1], number, heading=True)
            for index, text in enumerate(page.body):
                previous = self.append_line(out, previous, Line(text, number))
                if index == 0 and not page.headings:
                    out.page_starts[number] = out.length - len(text)
        return out

    def append_line(self, out: Assembled, previous: Line | None, line: Line) -> Line:
        """Add ``line`` to ``out``; the decision looks at ``previous`` only."""
        if previous is None:
            out.new_paragraph(line.text)
            return line
        if cleaning.is_heading_line(line.text) and (previous.heading or cleaning.SENTENCE_END.search(previous.text)):
            # A title inside a page ("L'AMBITIEUX PAR AMOUR"), after a finished sentence.
            if previous.heading:
                joined = cleaning.join_hyphenated(
                    previous.text, line.text, self.fix_hyphenation, self.nearby_words(previous.page)
                )
                out.extend_paragraph(
                    previous.text, *(joined or (previous.text, cleaning.line_separator(line.text))), line.text
                )
            else:
                out.new_paragraph(line.text, heading=True)
            return Line(line.text, line.page, heading=True)
        if previous.heading or cleaning.ends_paragraph(previous.text, line.text, self.widths[previous.page]):
            out.new_paragraph(line.text)
            return line
        joined = cleaning.join_hyphenated(
            previous.text, line.text, self.fix_hyphenation, self.nearby_words(previous.page)
        )
        kept, separator = joined if joined else (previous.text, cleaning.line_separator(line.text))
        out.extend_paragraph(previous.text, kept, separator, line.text)
        return line


def chunk_source(
    read_pages: ReadPages, *, first: int, last: int, page_count: int, fix_hyphenation: bool = True
) -> ChunkSource:
    """The cleaned sentences that start on pages first..last, with context."""
    if not 1 <= first <= last <= page_count:
        raise ValueError(f"bad page range {first}-{last} of {page_count}")
    book = Book(read_pages, page_count, fix_hyphenation)
    low, high = max(1, first - 1), min(page_count, last + 1)
    # Its own pages first, then the edges, which are a neighbour's own pages:
    # a job's page store (jobs.processing) may have them by then.
    book.load(first, last)
    book.load(low - cleaning.WINDOW, high + cleaning.WINDOW)  # the usual case needs no more
    while True:
        assembled = book.assemble(low, high)
        own_start = assembled.page_starts[first]
        own_end = assembled.page_starts[last + 1] if last < page_count else float("inf")
        complete_before = low == 1 or assembled.break_between(0, own_start)
        complete_after = high == page_count or assembled.break_between(int(own_end), assembled.length)
        if complete_before and complete_after:
            break
        low = low if complete_before else max(1, low - EXTEND_STEP)
        high = high if complete_after else min(page_count, high + EXTEND_STEP)
    return owned(assembled, own_start, own_end, pages_read=len(book.normalised))


def runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted page numbers as (first, last) ranges of consecutive pages."""
    ranges: list[tuple[int, int]] = []
    for number in numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges


def owned(assembled: Assembled, own_start: int, own_end: float, *, pages_read: int) -> ChunkSource:
    sentences: list[SourceSentence] = []
    spans: list[tuple[int, int]] = []
    for paragraph in assembled.paragraphs:
        pieces = [(0, len(paragraph.text))] if paragraph.heading else split_sentences(paragraph.text)
        dialogue = bool(cleaning.DIALOGUE_DASH.match(paragraph.text))
        for index, (start, end) in enumerate(pieces):
            if own_start <= paragraph.start + start < own_end:
                text = paragraph.text[start:end]
                sentences.append(
                    SourceSentence(text=text, heading=paragraph.heading, paragraph_start=index == 0, dialogue=dialogue)
                )
                spans.append((paragraph.start + start, paragraph.start + end))
    text = assembled.text()
    begin, end = (spans[0][0], spans[-1][1]) if spans else (own_start, own_start)
    return ChunkSource(
        sentences=sentences,
        context_before=text[max(0, begin - CONTEXT_CHARS) : begin].lstrip(),
        context_after=text[end : end + CONTEXT_CHARS].lstrip(),
        pages_read=pages_read,
    )
