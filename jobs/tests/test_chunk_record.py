"""services.chunk_record: a chunk's sentences, usage and figures are stored;
the last chunk completes and settles the job."""

import math

import pytest

from credits.models import CreditLedger
from credits.selectors import credit_balance
from jobs import selectors, services
from jobs.models import Chunk, JobStatus
from jobs.tests.factories import make_outcome, make_started_job, record

pytestmark = pytest.mark.usefixtures("no_queue")


def test_the_last_chunk_completes_and_settles_the_job_once(job, user):
    balance_before = credit_balance(user=user)
    for chunk in job.chunks.all():
        record(chunk)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.progress_percent == 100
    assert job.sentences == ["Il pleut."] * 3
    assert job.actual_credits == 3  # 3000 tokens at rate 1
    assert credit_balance(user=user) == balance_before + 50 - 3
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 1
    rec = services.job_finalize(user=user, job_id=job.pk)
    assert (rec.actual_credits, rec.refunded) == (3, 47)
    assert CreditLedger.objects.filter(job=job).count() == 3  # reserve, release, charge: finalize wrote nothing more


# 4 sentences of 3 words, 2 of 5: 22 words in all.
FIRST = make_outcome(
    ["Il pleut fort."] * 4,
    lines_judged=4,
    complete_lines=3,
    source_sentences=2,
    complete_source_sentences=2,
    source_content=10,
    kept_content=9,
    output_content=10,
    invented_content=0,
    words=12,
    engine_seconds=0.5,
)
SECOND = make_outcome(
    ["Le vent souffle très fort."] * 2,
    lines_judged=2,
    complete_lines=1,
    source_sentences=2,
    complete_source_sentences=1,
    source_content=10,
    kept_content=10,
    output_content=10,
    invented_content=1,
    sentences_over_limit=1,
    words=10,
    engine_seconds=1.5,
)


def test_recording_chunks_sums_their_quality_figures_into_the_job(user):
    job = make_started_job(user, chunks=2)
    first, second = job.chunks.order_by("index")
    record(first, FIRST)
    record(second, SECOND)

    job.refresh_from_db()
    assert (job.lines_judged, job.complete_lines, job.sentences_over_limit, job.words, job.engine_seconds) == (
        6,
        4,
        1,
        22,
        2.0,
    )
    assert (Chunk.objects.get(pk=second.pk).complete_lines, Chunk.objects.get(pk=second.pk).words) == (1, 10)
    quality = selectors.job_quality(job=job)
    assert quality.sentences == len(job.sentences) == 6
    assert quality.over_limit_share == pytest.approx(1 / 6)
    assert quality.complete_share == pytest.approx(4 / 6)
    assert quality.source_complete_share == pytest.approx(3 / 4)
    assert quality.content_coverage == pytest.approx(19 / 20)
    assert quality.invented_share == pytest.approx(1 / 20)
    assert quality.words_per_second == pytest.approx(11.0)


def gemini_outcome(written: dict[str, int], usage: dict[str, dict[str, int]], finishes: dict[str, int]):
    import dataclasses

    from jobs.tests.factories import make_outcome

    billed = {model: u["input"] + u["output"] for model, u in usage.items()} if written.get("gemini") else {}
    if written.get("local"):
        billed["local"] = 100
    engine = "mixed" if all(written.values()) else ("gemini" if written.get("gemini") else "local")
    return dataclasses.replace(
        make_outcome(),
        tokens_by_model=billed,
        usage_by_model=usage,
        finish_reasons=finishes,
        sentences_by_engine=written,
        engine=engine,
    )


def test_a_chunk_keeps_its_finish_reasons_and_writers_and_the_job_the_models_really_used(user, settings):
    settings.CREDIT_RATE_LOCAL = 1.0
    job = make_started_job(user, chunks=3)
    chunks = list(job.chunks.order_by("index"))
    balanced = settings.GEMINI_MODELS["balanced"]
    flash = {balanced: {"input": 3000, "output": 2000}}
    record(chunks[0], gemini_outcome({"gemini": 4, "local": 0}, flash, {"STOP": 1}))
    record(chunks[1], gemini_outcome({"gemini": 0, "local": 5}, flash, {"SAFETY": 1}))
    record(chunks[2], gemini_outcome({"gemini": 3, "local": 2}, flash, {"MAX_TOKENS": 1, "STOP": 1}))

    stored = {c.index: c for c in Chunk.objects.filter(job=job)}
    assert [stored[i].written_by for i in range(3)] == ["gemini", "local", "mixed"]
    assert stored[1].finish_reasons == {"SAFETY": 1} and stored[1].tokens_by_model == {"local": 100}
    assert stored[1].usage_by_model == flash  # what Gemini reported is kept, though not billed
    job.refresh_from_db()
    assert job.models_used == [balanced, "local"]
    # The refused chunk costs the local rate. The model's input and output are billed each at its
    # own rate, from its price: twice 3000 input and 2000 output tokens; 2 × 100 local tokens at 1.
    price = settings.GEMINI_PRICES[balanced]
    per_k = {side: price[side] * settings.CREDITS_PER_USD / 1000 for side in ("input", "output")}
    assert per_k["output"] > 4 * per_k["input"]  # output costs 4-8× input
    assert job.actual_credits == math.ceil((6000 * per_k["input"] + 4000 * per_k["output"] + 200 * 1.0) / 1000)
    assert job.credit_rates == {balanced: per_k, "local": {"input": 1.0, "output": 1.0}}
