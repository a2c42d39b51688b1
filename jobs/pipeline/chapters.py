"""Chapters: where the headings a chunk's text has (``SourceSentence.heading``)
fall among the sentences an engine wrote for it, and the book's chapters
once the chunks are merged.

A chunk knows its headings from the cleaned text; the engine's output is a
plain list of lines. Where the engine says which source sentence each line
came from (``sources``), a chapter starts at the first line of its heading.
Where it cannot (Gemini, or an engine that gives no sources), the line is
found by its words: a heading comes out as itself, or, when it is longer
than the limit, cut into pieces whose first one begins it. Headings are
looked for in order, each after the one before, so a body sentence that
happens to repeat a title later on is never taken for it.

Plain Python: no Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jobs.pipeline.text import SourceSentence


@dataclass(frozen=True)
class ChapterStart:
    """A heading, and the index (in its chunk's sentences) of its first line."""

    title: str
    start: int

    def as_json(self) -> dict:
        return {"title": self.title, "start": self.start}


@dataclass(frozen=True)
class Chapter:
    """A chapter of a job's result: its title ("" for the text before the
    first heading) and its sentences, ``first``..``last``, numbered from 1
    as the exports' Index column numbers them."""

    number: int
    title: str
    first: int
    last: int

    def as_json(self) -> dict:
        return {"number": self.number, "title": self.title, "first": self.first, "last": self.last}


def chapter_starts(
    source: Sequence[SourceSentence], sentences: Sequence[str], sources: Sequence[str] | None = None
) -> list[ChapterStart]:
    """The chunk's headings that can be found among ``sentences``, in order."""
    by_source = bool(sources) and any(sources)
    found: list[ChapterStart] = []
    cursor = 0
    for heading in (s.text for s in source if s.heading):
        match = (
            _first_line_from(heading, sources, cursor) if by_source else _first_line_like(heading, sentences, cursor)
        )
        if match is not None:
            found.append(ChapterStart(title=" ".join(heading.split()), start=match))
            cursor = match + 1
    return found


def _first_line_from(heading: str, sources: Sequence[str], cursor: int) -> int | None:
    return next((i for i in range(cursor, len(sources)) if sources[i] == heading), None)


def _first_line_like(heading: str, sentences: Sequence[str], cursor: int) -> int | None:
    words = heading.split()
    for index in range(cursor, len(sentences)):
        line = sentences[index].split()
        if line and line == words[: len(line)]:
            return index
    return None


def book_chapters(chunks: Sequence[tuple[int, Sequence[dict]]]) -> list[Chapter]:
    """The chapters of merged chunks, given in order as (how many sentences
    the chunk has, its chapter starts). Every sentence is in one chapter:
    those before the first heading form an untitled one."""
    starts: list[tuple[str, int]] = []
    offset = 0
    for count, chunk_starts in chunks:
        starts.extend((start["title"], offset + start["start"]) for start in chunk_starts)
        offset += count
    if offset == 0:
        return []
    if not starts or starts[0][1] > 0:
        starts.insert(0, ("", 0))
    ends = [start for _, start in starts[1:]] + [offset]
    numbered = range(0 if starts[0][0] == "" else 1, len(starts) + 1)
    return [
        Chapter(number=number, title=title, first=start + 1, last=end)
        for number, (title, start), end in zip(numbered, starts, ends, strict=False)
    ]


def chapter_of_each(chapters: Sequence[dict], count: int) -> list[str]:
    """The chapter title of each of ``count`` sentences (the exports' column)."""
    titles = [""] * count
    for chapter in chapters:
        titles[chapter["first"] - 1 : chapter["last"]] = [chapter["title"]] * (chapter["last"] - chapter["first"] + 1)
    return titles
