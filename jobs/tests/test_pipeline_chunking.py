"""The chunk plan table (SPEC §3)."""

from __future__ import annotations

import pytest

from jobs.pipeline.chunking import DEFAULT_PLAN, plan_chunks


def covered(ranges: list[tuple[int, int]]) -> list[int]:
    return [page for first, last in ranges for page in range(first, last + 1)]


@pytest.mark.parametrize(
    ("pages", "size", "parallel", "strategy", "chunks"),
    [
        (1, 1, 1, "single", 1),
        (30, 30, 1, "single", 1),
        (31, 20, 3, "medium", 2),
        (100, 20, 3, "medium", 5),
        (101, 15, 5, "small", 7),
        (115, 15, 5, "small", 8),
        (500, 15, 5, "small", 34),
    ],
)
def test_table_rows(pages, size, parallel, strategy, chunks):
    plan = plan_chunks(pages)
    assert (plan.chunk_size, plan.parallel, plan.strategy, len(plan.ranges)) == (size, parallel, strategy, chunks)
    assert covered(plan.ranges) == list(range(1, pages + 1))  # every page once, in order


def test_115_pages_in_15_page_chunks():
    assert plan_chunks(115).ranges == [(1, 15), (16, 30), (31, 45), (46, 60), (61, 75), (76, 90), (91, 105), (106, 115)]


def test_chunk_size_override_keeps_the_rows_parallelism():
    plan = plan_chunks(115, chunk_size=1)
    assert plan.ranges == [(p, p) for p in range(1, 116)]
    assert (plan.parallel, plan.strategy) == (5, "small")
    assert plan_chunks(10, chunk_size=4).ranges == [(1, 4), (5, 8), (9, 10)]


def test_a_custom_table():
    table = ((10, None, 1, "tiny"), (1000, 7, 2, "rest"))
    assert plan_chunks(10, table=table).ranges == [(1, 10)]
    assert plan_chunks(20, table=table).ranges == [(1, 7), (8, 14), (15, 20)]
    assert DEFAULT_PLAN[0] == (30, None, 1, "single")


def test_no_pages_is_an_error():
    with pytest.raises(ValueError):
        plan_chunks(0)
