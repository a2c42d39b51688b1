"""What a book costs on Gemini per model preference (issue #13, must-show 6).

    .venv/bin/python bench/gemini_cost.py ../shared/data/la-reine-du-sabbat-457p.pdf

Runs the book's chunks (the service's plan: 15 pages each past 100 pages)
through the Gemini engine in this process, with the real google-genai
client, against the project's fake server, once per model preference, the
targeted fragment repair on as in the service. The fake answers with the local
engine's sentences (``answer="simplify"``: its default cut would send every chunk's
verbless pieces to the repair, which a real model's answer does not) and counts tokens at four characters each, so the token
counts are the fake's: a real model's tokenizer and thinking move them (the
ratios below do not depend on them). For each preference it prints the calls,
the input and output tokens, the credits the job is charged (each side at its
model's rate, GEMINI_PRICES × CREDITS_PER_USD), what the tokens really cost at
Google's prices, and credits per dollar side by side for input and output,
with the start's estimate (the reservation: Gemini's count of the sample
pages, here the fake's, at the estimate's rates) against the charge, what the
economy option (the Flex tier's prices) charges for the same tokens, and
with what the single rate per preference of before (CREDIT_RATE_SPEED/BALANCED/
QUALITY, one rate for both sides, since removed: SINGLE_RATES_BEFORE) charged
for the same tokens.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# The settings' single rates per preference before credits followed the models' prices.
SINGLE_RATES_BEFORE = {"speed": 2.0, "balanced": 3.0, "quality": 5.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--pages", type=int, default=0, help="Only the first this many pages (0: all).")
    args = parser.parse_args()
    from devtools.scratch import setup_scratch_django

    setup_scratch_django()
    from django.conf import settings

    from credits.pricing import credit_rates, credits_at, credits_for_usage, estimate_rates
    from devtools.fakegemini import FakeGemini
    from jobs import services
    from jobs.pipeline import gemini_engine, gemini_models
    from jobs.pipeline.chunking import plan_chunks
    from jobs.pipeline.gemini_calls import GeminiConfig, ProcessSpentModels
    from jobs.pipeline.pdf import extract_pages, inspect_pdf
    from jobs.pipeline.text import chunk_source

    info = inspect_pdf(str(args.pdf), max_pages=10_000)
    pages = min(info.page_count, args.pages) if args.pages else info.page_count
    info = dataclasses.replace(info, page_count=pages)
    started = time.monotonic()
    texts = extract_pages(str(args.pdf), 1, pages, timeout=600)
    plan = plan_chunks(pages)
    ranges = [(first, min(pages, first + plan.chunk_size - 1)) for first in range(1, pages + 1, plan.chunk_size)]
    sources = [
        chunk_source(lambda a, b: texts[a - 1 : b], first=first, last=last, page_count=pages) for first, last in ranges
    ]
    print(f"{args.pdf.name}: {pages} pages, {len(sources)} chunks, read in {time.monotonic() - started:.0f} s\n")
    rows = []
    with FakeGemini(port=0, api_key="bench", answer="simplify") as fake:
        settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL = "bench", fake.url  # the start's count_tokens
        for preference, model in settings.GEMINI_MODELS.items():
            estimated = credits_at(
                services.start_estimate_tokens(info=info, engine="gemini", model_preference=preference).as_usage(),
                estimate_rates("gemini", preference),
            )
            fake.reset()
            config = GeminiConfig(
                api_key="bench",
                base_url=fake.url,
                model=model,
                fallback_model=None,
                timeout_seconds=120,
                max_output_tokens=settings.GEMINI_MAX_OUTPUT_TOKENS,
                models=gemini_models.table_with(settings.GEMINI_MODEL_TABLE),
                repair_fragments=True,
            )
            usage = {"input": 0, "output": 0}
            calls = 0
            for source in sources:
                result = gemini_engine.rewrite(
                    source.sentences,
                    context_before=source.context_before,
                    context_after=source.context_after,
                    limit=8,
                    min_length=2,
                    ignore_dialogue=False,
                    preserve_formatting=True,
                    fix_hyphenation=True,
                    config=config,
                    spent_models=ProcessSpentModels(),
                )
                calls += result.api_calls
                for side in usage:
                    usage[side] += sum(u[side] for u in result.usage_by_model.values())
            reported = fake.stats()["tokens"][model]
            assert usage["input"] == reported["prompt"] and usage["output"] == reported["candidates"]
            rows.append((preference, model, calls, usage, estimated))
    print(
        "| preference | model | calls | input tokens | output tokens | credits | start estimate | estimate / credits "
        "| economy credits | real price (USD) | credits/USD input | credits/USD output | single rate before: credits "
        "| before: credits/USD input | before: credits/USD output |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for preference, model, calls, usage, estimated in rows:
        price = settings.GEMINI_PRICES[model]
        usd = {side: usage[side] * price[side] / 1e6 for side in usage}
        rates = credit_rates(model)
        credits = credits_for_usage({model: usage})
        old_rate = SINGLE_RATES_BEFORE[preference]
        old_credits = max(1, -(-(usage["input"] + usage["output"]) * old_rate // 1000))
        print(
            f"| {preference} | {model} | {calls} | {usage['input']:,} | {usage['output']:,} | {credits:,} "
            f"| {estimated:,} | {estimated / credits:.2f} | {credits_for_usage({model: usage}, flex=True):,} "
            f"| {usd['input'] + usd['output']:.3f} | {rates['input'] * 1000 / price['input']:.0f} "
            f"| {rates['output'] * 1000 / price['output']:.0f} | {old_credits:,.0f} "
            f"| {old_rate * 1000 / price['input']:.0f} | {old_rate * 1000 / price['output']:.0f} |"
        )


if __name__ == "__main__":
    main()
