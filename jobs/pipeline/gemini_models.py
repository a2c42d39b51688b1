"""What each Gemini model accepts: its thinking parameter and range, its
default temperature, its output cap.

The models differ in ways that fail calls: Gemini 2.5 flash and flash-lite
take ``thinking_budget`` 0 (off), 2.5 pro refuses 0 (its minimum is 128),
Gemini 3 models take ``thinking_level`` and answer 400 when sent a budget,
and Google advises temperature 1.0 on Gemini 3 (lower can loop). A model
missing from the table gets no thinking config and the service's default
temperature: a guess could be a 400 on every chunk.

The defaults are the generally available models as Google's deprecation and
model pages listed them in late 2026 (docs/benchmarks.md names the pages);
``GEMINI_MODEL_TABLE`` (settings) adds or replaces rows.

Plain Python and google-genai's types: no Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from google.genai import types

BUDGET, LEVEL, NONE = "budget", "level", "none"


@dataclass(frozen=True)
class ModelCapabilities:
    thinking: str  # BUDGET (thinking_budget), LEVEL (thinking_level) or NONE (send no thinking config)
    budget_range: tuple[int, int] | None = None  # BUDGET: the budgets the model accepts
    levels: tuple[str, ...] = ()  # LEVEL: the levels it accepts, least thinking first
    temperature: float | None = None  # None: the service's default
    max_output_tokens: int = 65536

    def __post_init__(self) -> None:
        if self.thinking not in (BUDGET, LEVEL, NONE):
            raise ValueError(f"thinking must be {BUDGET}, {LEVEL} or {NONE}, not {self.thinking!r}")
        if self.thinking == BUDGET and not self.budget_range:
            raise ValueError("a budget model needs its budget_range")
        if self.thinking == LEVEL and not self.levels:
            raise ValueError("a level model needs its levels")

    def thinking_config(self) -> types.ThinkingConfig | None:
        """The least thinking the model allows: thinking tokens are paid as output and eat the cap."""
        if self.thinking == BUDGET and self.budget_range:
            return types.ThinkingConfig(thinking_budget=self.budget_range[0])
        if self.thinking == LEVEL and self.levels:
            return types.ThinkingConfig(thinking_level=self.levels[0])
        return None

    @property
    def thinking_allowance(self) -> int:
        """Output tokens thinking may spend at the setting sent (a level has no fixed budget: none counted)."""
        return self.budget_range[0] if self.thinking == BUDGET and self.budget_range else 0

    @classmethod
    def from_dict(cls, values: Mapping) -> ModelCapabilities:
        budget = values.get("budget_range")
        return cls(
            thinking=values.get("thinking", NONE),
            budget_range=(int(budget[0]), int(budget[1])) if budget else None,
            levels=tuple(str(level) for level in values.get("levels", ())),
            temperature=None if values.get("temperature") is None else float(values["temperature"]),
            max_output_tokens=int(values.get("max_output_tokens", 65536)),
        )


_GEMINI_3_LEVELS = ("low", "medium", "high")  # 3.7 and 3.8 flash dropped "minimal"

DEFAULT_TABLE: dict[str, ModelCapabilities] = {
    # Gemini 3 (generally available in 2026): thinking_level, temperature 1.0.
    "gemini-3.8-flash": ModelCapabilities(LEVEL, levels=_GEMINI_3_LEVELS, temperature=1.0),
    "gemini-3.7-flash": ModelCapabilities(LEVEL, levels=_GEMINI_3_LEVELS, temperature=1.0),
    "gemini-3.6-flash": ModelCapabilities(LEVEL, levels=_GEMINI_3_LEVELS, temperature=1.0),
    "gemini-3.5-flash": ModelCapabilities(LEVEL, levels=("minimal", *_GEMINI_3_LEVELS), temperature=1.0),
    "gemini-3.5-flash-lite": ModelCapabilities(LEVEL, levels=("minimal", *_GEMINI_3_LEVELS), temperature=1.0),
    "gemini-3.1-flash-lite": ModelCapabilities(LEVEL, levels=("minimal", *_GEMINI_3_LEVELS), temperature=1.0),
    # Gemini 2.5: thinking_budget; flash-lite stays available, flash and pro are being shut down.
    "gemini-2.5-flash-lite": ModelCapabilities(BUDGET, budget_range=(0, 24576), temperature=0.2),
    "gemini-2.5-flash": ModelCapabilities(BUDGET, budget_range=(0, 24576), temperature=0.2),
    "gemini-2.5-pro": ModelCapabilities(BUDGET, budget_range=(128, 32768), temperature=0.2),
}

UNKNOWN = ModelCapabilities(NONE)


def capabilities(model: str, table: Mapping[str, ModelCapabilities] | None = None) -> ModelCapabilities:
    """The model's row; an unknown model gets no thinking config and the default temperature."""
    return (DEFAULT_TABLE if table is None else table).get(model, UNKNOWN)


def table_with(overrides: Mapping[str, Mapping]) -> dict[str, ModelCapabilities]:
    """The default table with rows added or replaced (GEMINI_MODEL_TABLE's JSON)."""
    return {**DEFAULT_TABLE, **{model: ModelCapabilities.from_dict(row) for model, row in overrides.items()}}
