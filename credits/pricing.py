"""What work costs, in credits (SPEC §4). Pure functions, no database."""

import math

from django.conf import settings


def credit_rate(engine: str, model_preference: str) -> float:
    key = "local" if engine == "local" else model_preference
    return settings.CREDIT_RATES[key]


def credit_rates(model: str) -> dict[str, float]:
    """Credits per 1000 input and per 1000 output tokens of a model, from its
    real price (GEMINI_PRICES × CREDITS_PER_USD); the local engine has one
    rate for both. A model without a price pays the dearest prices: never
    undercharge silently."""
    if model == "local":
        rate = settings.CREDIT_RATES["local"]
        return {"input": rate, "output": rate}
    prices = settings.GEMINI_PRICES.get(model) or {
        side: max(p[side] for p in settings.GEMINI_PRICES.values()) for side in ("input", "output")
    }
    # USD per million tokens → credits per thousand.
    return {side: prices[side] * settings.CREDITS_PER_USD / 1000 for side in ("input", "output")}


def credits_for_usage(usage_by_model: dict[str, dict[str, int]]) -> int:
    """Credits for input and output tokens spread over several models, each side at its model's rate."""
    total = sum(tokens for usage in usage_by_model.values() for tokens in usage.values())
    if total <= 0:
        return 0
    cost = sum(
        usage.get(side, 0) * credit_rates(model)[side]
        for model, usage in usage_by_model.items()
        for side in ("input", "output")
    )
    return max(1, math.ceil(cost / 1000))


def credits_for_tokens(tokens: int, rate: float) -> int:
    """max(1, ceil(tokens / 1000 × rate)); no work at all costs nothing."""
    if tokens <= 0:
        return 0
    return max(1, math.ceil(tokens / 1000 * rate))


def tokens_for_pages(page_count: int) -> int:
    per_page = settings.ESTIMATE_INPUT_TOKENS_PER_PAGE + settings.ESTIMATE_OUTPUT_TOKENS_PER_PAGE
    return page_count * per_page


def tokens_for_characters(characters: float, *, engine: str, chunks: int) -> int:
    """Tokens to expect from the extracted text, plus a margin for the pages
    the sample did not see. The local engine reads the text and writes it again;
    Gemini also reads instructions and context with every chunk, and its JSON
    answer repeats subjects and quotes every sentence."""
    source = characters / settings.ESTIMATE_CHARS_PER_TOKEN
    if engine == "gemini":
        tokens = (
            source * (1 + settings.ESTIMATE_GEMINI_OUTPUT_FACTOR)
            + chunks * settings.ESTIMATE_GEMINI_PROMPT_TOKENS_PER_CHUNK
        )
    else:
        tokens = 2 * source
    return math.ceil(tokens * (1 + settings.ESTIMATE_MARGIN))
