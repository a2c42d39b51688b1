"""Which page ranges a book is processed in, and how many at once: the
seeds' table (SPEC §3, ``CHUNK_PLAN=seeds``, and the local engine's), or on
Gemini a plan chosen for latency (:func:`plan_for_latency`)."""

from __future__ import annotations

import math
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
    section_pages: int = 0  # pages a Gemini call holds (0: one call a chunk)
    calls_in_flight: int = 0  # Gemini calls of the job at once, as planned (0: one a chunk in flight)
    expected_seconds: float = 0.0  # the calls' expected wall time (0: not planned for latency)

    @property
    def total_chunks(self) -> int:
        return len(self.ranges)

    @property
    def total_calls(self) -> int:
        """First calls (repairs aside): one per section of each chunk."""
        if not self.section_pages:
            return self.total_chunks
        return sum(math.ceil((last - first + 1) / self.section_pages) for first, last in self.ranges)

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


# --- a plan chosen for latency (issue #15) ----------------------------------------------
# Gemini's latency follows the tokens it writes: a call of S pages takes about
# base + S × output tokens a page / output speed. A book answers in about one
# call's time when all its calls are in flight at once, which the quota and
# the job's fair share may not allow; smaller calls repeat the instruction and
# the context, so they cost prompt tokens too.
SECTION_PAGES = tuple(range(2, 16))  # pages a call may hold: below 2 the prompt outweighs the text
# Among plans within this share of the fastest, the one with the fewest calls
# (the least prompt repeated): a few percent of wall time is not worth more calls.
NEAR_FASTEST = 0.10
MINUTE = 60.0


@dataclass(frozen=True)
class LatencyInputs:
    """What the latency plan weighs; 0 for a quota means no limit."""

    rpm: int = 0  # requests a minute, the cluster's
    tpm: int = 0  # input tokens a minute, the cluster's
    rpd: int = 0  # requests a day: a plan never needs more calls than this
    output_tps: float = 300.0  # the model's output tokens a second
    base_seconds: float = 0.8  # a call's time before its first token
    calls_per_job: int = 100  # fairness: a job never holds more calls in flight than this
    chunks_at_once: int = 5  # chunk tasks of a job calling at once (worker processes)
    # A chunk's pages are read and cleaned by one process before its first
    # call: past this many, reading holds the calls back (pypdf is ~0.1 s a page).
    max_chunk_pages: int = 50
    output_tokens_per_page: float = 470.0
    input_tokens_per_page: float = 410.0
    prompt_tokens_per_call: int = 1200  # instruction, context and repairs, repeated by every call
    # The cost side: every call's repeated prompt, summed, stays under this
    # share of the book's own tokens (smaller calls answer sooner but repeat more).
    max_prompt_overhead: float = 0.6

    def call_seconds(self, pages: int) -> float:
        return self.base_seconds + pages * self.output_tokens_per_page / self.output_tps

    def call_input_tokens(self, pages: int) -> int:
        return math.ceil(pages * self.input_tokens_per_page + self.prompt_tokens_per_call)


@dataclass(frozen=True)
class CallPlan:
    section_pages: int
    calls: int
    calls_in_flight: int
    call_seconds: float
    expected_seconds: float
    prompt_tokens: int  # the book's text and every call's repeated prompt


def calls_wall(calls: int, *, seconds: float, in_flight: int, per_minute: int | None, offset: float = 0.0) -> float:
    """Seconds from the first call to the last answer when ``calls`` calls of
    ``seconds`` each start as soon as fewer than ``in_flight`` are out and the
    clock minute (fixed windows, as the limiter's) has room for one more
    (``per_minute``, None: no limit); the job starts ``offset`` seconds into a minute."""
    now, window, used, ends = offset, math.floor(offset / MINUTE), 0, []
    for _ in range(calls):
        while True:
            ends = [end for end in ends if end > now]
            if math.floor(now / MINUTE) != window:
                window, used = math.floor(now / MINUTE), 0
            if len(ends) < in_flight and (per_minute is None or used < per_minute):
                break
            waits = [min(ends)] if len(ends) >= in_flight else []
            if per_minute is not None and used >= per_minute:
                waits.append((window + 1) * MINUTE)
            now = max(now, min(waits))
        ends.append(now + seconds)
        used += 1
    return max(ends, default=offset) - offset


def call_plan(page_count: int, inputs: LatencyInputs) -> CallPlan:
    """The section size with the shortest expected wall time that the quota,
    the job's fair share and the prompt overhead allow (the fewest calls
    among the near-fastest)."""
    text_tokens = math.ceil(page_count * inputs.input_tokens_per_page)
    plans = []
    for pages in SECTION_PAGES:
        calls = math.ceil(page_count / pages)
        per_minute = [inputs.rpm] if inputs.rpm else []
        if inputs.tpm:
            per_minute.append(max(1, inputs.tpm // inputs.call_input_tokens(pages)))
        window = min(per_minute) if per_minute else None
        # What the chunks can hold: chunks_at_once of them, each at most max_chunk_pages.
        held = max(1, inputs.chunks_at_once) * max(1, inputs.max_chunk_pages // pages)
        in_flight = min(calls, inputs.calls_per_job, window or calls, held)
        seconds = inputs.call_seconds(pages)
        wall = calls_wall(calls, seconds=seconds, in_flight=in_flight, per_minute=window)
        plans.append(
            CallPlan(pages, calls, in_flight, seconds, wall, text_tokens + calls * inputs.prompt_tokens_per_call)
        )
        if pages >= page_count:
            break
    # The largest calls always qualify: a book that fits no rule still gets a plan.
    allowed = [
        plan
        for plan in plans
        if (not inputs.rpd or plan.calls <= inputs.rpd)
        and plan.calls * inputs.prompt_tokens_per_call <= inputs.max_prompt_overhead * text_tokens
    ] or plans[-1:]
    fastest = min(plan.expected_seconds for plan in allowed)
    near = [plan for plan in allowed if plan.expected_seconds <= fastest * (1 + NEAR_FASTEST)]
    return min(near, key=lambda plan: (plan.calls, plan.expected_seconds))


def plan_for_latency(page_count: int, inputs: LatencyInputs, *, chunk_size: int | None = None) -> ChunkPlan:
    """Chunks (the tasks that read and clean pages, each in a worker process)
    holding the calls the book needs in flight at once: ``chunks_at_once``
    chunks calling together, each sending its sections at once."""
    if page_count < 1:
        raise ValueError("a book has at least one page")
    calls = call_plan(page_count, inputs)
    parallel = max(1, inputs.chunks_at_once)
    sections_per_chunk = max(
        1, min(math.ceil(calls.calls_in_flight / parallel), inputs.max_chunk_pages // calls.section_pages)
    )
    size = chunk_size or min(page_count, calls.section_pages * sections_per_chunk)
    ranges = [(first, min(first + size - 1, page_count)) for first in range(1, page_count + 1, size)]
    return ChunkPlan(
        chunk_size=size,
        parallel=min(parallel, len(ranges)),
        strategy="latency",
        ranges=ranges,
        section_pages=calls.section_pages,
        calls_in_flight=min(calls.calls_in_flight, min(parallel, len(ranges)) * sections_per_chunk),
        expected_seconds=round(calls.expected_seconds, 1),
    )
