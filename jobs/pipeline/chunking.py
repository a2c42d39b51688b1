"""Which page ranges a book is processed in, and how many at once."""

from __future__ import annotations

from dataclasses import dataclass

# (max pages, chunk size or None for the whole book, parallel chunks, strategy)
PlanRow = tuple[int, int | None, int, str]

DEFAULT_PLAN: tuple[PlanRow, ...] = ((30, None, 1, "single"), (100, 20, 3, "medium"), (500, 15, 5, "small"))
# Pages a chunk reads past its last one (SPEC §3); a sentence that runs on makes it read further.
OVERLAP_PAGES = 1


@dataclass(frozen=True)
class ChunkPlan:
    chunk_size: int
    parallel: int
    strategy: str
    ranges: list[tuple[int, int]]  # 1-based inclusive, no overlap: the reader adds it

    @property
    def total_chunks(self) -> int:
        return len(self.ranges)

    @property
    def overlap_pages(self) -> int:
        return OVERLAP_PAGES


def plan_chunks(
    page_count: int, *, table: tuple[PlanRow, ...] = DEFAULT_PLAN, chunk_size: int | None = None
) -> ChunkPlan:
    """The plan row for this many pages; ``chunk_size`` overrides the row's size."""
    if page_count < 1:
        raise ValueError("a book has at least one page")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    row = next((row for row in table if page_count <= row[0]), table[-1])
    _, row_size, parallel, strategy = row
    size = chunk_size or row_size or page_count
    ranges = [(first, min(first + size - 1, page_count)) for first in range(1, page_count + 1, size)]
    return ChunkPlan(chunk_size=size, parallel=parallel, strategy=strategy, ranges=ranges)
