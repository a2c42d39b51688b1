"""What work costs, in credits (SPEC §4). Pure functions, no database."""

import math

from django.conf import settings


def credit_rate(engine: str, model_preference: str) -> float:
    key = "local" if engine == "local" else model_preference
    return settings.CREDIT_RATES[key]


def credits_for_tokens(tokens: int, rate: float) -> int:
    """max(1, ceil(tokens / 1000 × rate)); no work at all costs nothing."""
    if tokens <= 0:
        return 0
    return max(1, math.ceil(tokens / 1000 * rate))


def tokens_for_pages(page_count: int) -> int:
    per_page = settings.ESTIMATE_INPUT_TOKENS_PER_PAGE + settings.ESTIMATE_OUTPUT_TOKENS_PER_PAGE
    return page_count * per_page


def tokens_for_characters(characters: float) -> int:
    """Input tokens from the extracted text, plus as many again for the rewritten
    output, plus a margin for the pages the sample did not see."""
    input_tokens = characters / settings.ESTIMATE_CHARS_PER_TOKEN
    return math.ceil(2 * input_tokens * (1 + settings.ESTIMATE_MARGIN))
