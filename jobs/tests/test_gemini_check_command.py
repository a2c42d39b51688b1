"""manage.py gemini_check: one tiny call per configured model, through the
real google-genai client against the fake server, naming what fails."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from jobs.tests.test_pipeline_gemini_engine import KEY


def check(settings, server) -> tuple[str, CommandError | None]:
    settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL = KEY, server.url
    out = io.StringIO()
    try:
        call_command("gemini_check", stdout=out, skip_checks=False)  # as manage.py runs it, system checks first
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_it_names_a_retired_model_and_one_that_refuses_thinking_off(settings, fake_gemini):
    settings.GEMINI_MODELS = {"speed": "gemini-2.5-flash-lite", "balanced": "gemini-2.5-flash", "quality": "gemini-old"}
    settings.GEMINI_FALLBACK_MODEL = "gemini-2.5-flash-lite"
    server = fake_gemini(missing_models={"gemini-old"}, thinking_required_models={"gemini-2.5-flash"})

    out, error = check(settings, server)

    lines = {line.split()[1]: line for line in out.splitlines() if line[:1] in "✓✗"}
    assert lines["gemini-old"].startswith("✗") and "not found (404)" in lines["gemini-old"]
    assert lines["gemini-2.5-flash"].startswith("✗") and "refused the configuration (400)" in lines["gemini-2.5-flash"]
    assert "Budget 0 is invalid" in lines["gemini-2.5-flash"] and "thinking budget 0" in lines["gemini-2.5-flash"]
    assert lines["gemini-2.5-flash-lite"].startswith("✓") and "speed, fallback" in lines["gemini-2.5-flash-lite"]
    assert error is not None and "2 of 3 models cannot serve jobs" in str(error)
    assert server.stats()["requests"] == 3  # one call per distinct model


def test_it_passes_when_every_model_answers(settings, fake_gemini):
    out, error = check(settings, fake_gemini())

    assert error is None and "All 4 models answer." in out
    assert "thinking level low, temperature 1.0" in out  # the Gemini 3 defaults get their own parameter


def test_without_a_key_there_is_nothing_to_check(settings):
    settings.GEMINI_API_KEY = ""
    with pytest.raises(CommandError, match="GEMINI_API_KEY is not set"):
        call_command("gemini_check")
