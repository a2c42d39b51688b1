"""What work costs, in credits (SPEC §4). Pure functions, no database."""

import math
from dataclasses import dataclass

from django.conf import settings

SIDES = ("input", "output")


@dataclass(frozen=True)
class TokenEstimate:
    """Tokens a job is expected to use, each side apart: output costs 4–8× input."""

    input: int
    output: int

    @property
    def total(self) -> int:
        return self.input + self.output

    def as_usage(self) -> dict[str, int]:
        return {"input": self.input, "output": self.output}


def credit_rates(model: str, *, flex: bool = False) -> dict[str, float]:
    """Credits per 1000 input and per 1000 output tokens of a model, from its
    real price (GEMINI_PRICES, or GEMINI_FLEX_PRICES on the Flex tier, ×
    CREDITS_PER_USD); the local engine has one rate for both. A model without
    a price pays the dearest prices: never undercharge silently."""
    if model == "local":
        rate = settings.CREDIT_RATE_LOCAL
        return {"input": rate, "output": rate}
    table = settings.GEMINI_FLEX_PRICES if flex else settings.GEMINI_PRICES
    prices = table.get(model) or {side: max(p[side] for p in table.values()) for side in SIDES}
    # USD per million tokens → credits per thousand.
    return {side: prices[side] * settings.CREDITS_PER_USD / 1000 for side in ("input", "output")}


def estimate_rates(engine: str, model_preference: str, *, flex: bool = False) -> dict[str, float]:
    """The rates a job's estimate and reservation are reckoned at: those the
    charge will use (credit_rates), each side the dearer of the job's model and
    its fallback, which may write any chunk. So the reservation bounds the charge."""
    if engine == "local":
        return credit_rates("local")
    models = [m for m in (settings.GEMINI_MODELS[model_preference], settings.GEMINI_FALLBACK_MODEL) if m]
    return {side: max(credit_rates(model, flex=flex)[side] for model in models) for side in SIDES}


def credits_at(usage: dict[str, int], rates: dict[str, float]) -> int:
    """max(1, ceil((input × input rate + output × output rate) / 1000)); no work at all costs nothing."""
    if sum(usage.get(side, 0) for side in SIDES) <= 0:
        return 0
    return max(1, math.ceil(sum(usage.get(side, 0) * rates[side] for side in SIDES) / 1000))


def credits_for_usage(usage_by_model: dict[str, dict[str, int]], *, flex: bool = False) -> int:
    """Credits for input and output tokens spread over several models, each side at its model's rate
    (on the Flex tier, its Flex rate)."""
    total = sum(tokens for usage in usage_by_model.values() for tokens in usage.values())
    if total <= 0:
        return 0
    cost = sum(
        usage.get(side, 0) * credit_rates(model, flex=flex)[side]
        for model, usage in usage_by_model.items()
        for side in SIDES
    )
    return max(1, math.ceil(cost / 1000))


def tokens_for_pages(page_count: int) -> TokenEstimate:
    return TokenEstimate(
        input=page_count * settings.ESTIMATE_INPUT_TOKENS_PER_PAGE,
        output=page_count * settings.ESTIMATE_OUTPUT_TOKENS_PER_PAGE,
    )


def tokens_for_characters(characters: float, *, engine: str, chunks: int, chars_per_token: float) -> TokenEstimate:
    """Tokens to expect from the extracted text, plus a margin for the pages
    the sample did not see. The local engine reads the text and writes it again
    (one rate for both sides); Gemini also
    reads instructions and context with every chunk, and its JSON answer
    repeats subjects and quotes every sentence."""
    source = characters / chars_per_token
    margin = 1 + settings.ESTIMATE_MARGIN
    if engine == "gemini":
        reads = source + chunks * settings.ESTIMATE_GEMINI_PROMPT_TOKENS_PER_CHUNK
        writes = source * settings.ESTIMATE_GEMINI_OUTPUT_FACTOR
        return TokenEstimate(input=math.ceil(reads * margin), output=math.ceil(writes * margin))
    return TokenEstimate(input=math.ceil(source * margin), output=math.ceil(source * margin))
