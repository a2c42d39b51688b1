"""The chunk plan table (SPEC §3)."""

from __future__ import annotations

import pytest

from jobs.pipeline.chunking import DEFAULT_PLAN, LatencyInputs, call_plan, calls_wall, plan_chunks, plan_for_latency

pytestmark = pytest.mark.first_pass


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


# --- the plan chosen for latency (issue #15) ---------------------------------------------


def test_calls_wall_counts_waves_and_the_quotas_minutes():
    assert calls_wall(10, seconds=2.0, in_flight=10, per_minute=None) == 2.0
    assert calls_wall(10, seconds=2.0, in_flight=5, per_minute=None) == 4.0
    # Three a minute: the fourth and fifth wait for the next clock minute.
    assert calls_wall(5, seconds=2.0, in_flight=10, per_minute=3) == 62.0
    assert calls_wall(5, seconds=2.0, in_flight=10, per_minute=3, offset=50.0) == 12.0


def test_with_no_quota_the_whole_book_is_in_flight_at_once_in_small_calls():
    inputs = LatencyInputs(max_chunk_pages=100)
    plan = plan_for_latency(457, inputs)

    assert plan.strategy == "latency" and plan.section_pages <= 5
    assert plan.calls_in_flight == plan.total_calls >= 90  # one wave
    assert plan.expected_seconds == round(inputs.call_seconds(plan.section_pages), 1)
    assert plan.parallel == inputs.chunks_at_once


def test_a_quota_per_minute_gets_larger_calls_that_fit_it():
    inputs = LatencyInputs(rpm=60, tpm=1_000_000, max_chunk_pages=100)
    plan = plan_for_latency(457, inputs)

    assert plan.total_calls <= 60 and plan.section_pages >= 8  # the book in one minute's requests
    assert plan.calls_in_flight * inputs.call_input_tokens(plan.section_pages) <= 1_000_000
    tight = call_plan(457, LatencyInputs(rpm=10))
    assert tight.calls_in_flight <= 10 and tight.expected_seconds > 3 * 60  # four minutes of requests


def test_the_prompt_repeated_by_every_call_bounds_how_small_calls_get():
    cheap = call_plan(457, LatencyInputs(prompt_tokens_per_call=200))
    dear = call_plan(457, LatencyInputs(prompt_tokens_per_call=2000))

    assert cheap.section_pages < dear.section_pages
    text = 457 * LatencyInputs().input_tokens_per_page
    assert dear.calls * 2000 <= 0.6 * text and dear.prompt_tokens > text


def test_a_job_never_plans_more_calls_in_flight_than_its_fair_share_or_the_days_requests():
    assert plan_for_latency(457, LatencyInputs(calls_per_job=20)).calls_in_flight <= 20
    assert call_plan(457, LatencyInputs(rpd=40)).calls <= 40


@pytest.mark.parametrize("pages", [1, 2, 7, 29, 115, 301, 457])
def test_latency_chunks_cover_every_page_once_at_every_size(pages):
    for inputs in (LatencyInputs(), LatencyInputs(rpm=60), LatencyInputs(max_chunk_pages=7, chunks_at_once=1)):
        plan = plan_for_latency(pages, inputs)
        assert covered(plan.ranges) == list(range(1, pages + 1))
        assert plan.chunk_size <= max(inputs.max_chunk_pages, plan.section_pages)
