"""What work costs, in credits (SPEC §4). Pure functions, no database."""

import math

from django.conf import settings


def credit_rate(engine: str, model_preference: str) -> float:
    key = "local" if engine == "local" else model_preference
    return settings.CREDIT_RATES[key]


def rate_for_model(model: str) -> float:
    """The rate of a model by name ("local" for the local engine); a fallback
    model is billed at the rate of the preference it serves."""
    if model == "local":
        return settings.CREDIT_RATES["local"]
    for preference, name in settings.GEMINI_MODELS.items():
        if name == model:
            return settings.CREDIT_RATES[preference]
    if model == settings.GEMINI_FALLBACK_MODEL:
        # The cheap model chunks fall back to: the cheapest preference's rate.
        return min(settings.CREDIT_RATES[p] for p in settings.GEMINI_MODELS)
    return max(
        settings.CREDIT_RATES[p] for p in settings.GEMINI_MODELS
    )  # unknown model: the dearest rate, never undercharge silently


def credits_for_weighted_tokens(tokens_by_model: dict[str, int]) -> int:
    """Credits for tokens spread over several models, each at its own rate."""
    if sum(tokens_by_model.values()) <= 0:
        return 0
    return max(1, math.ceil(sum(tokens * rate_for_model(model) for model, tokens in tokens_by_model.items()) / 1000))


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
