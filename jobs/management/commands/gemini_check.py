import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jobs.pipeline import gemini_models
from jobs.pipeline.gemini_calls import GeminiChunkFailed, GeminiConfig, ModelUnusable, QuotaExhausted, Session
from jobs.pipeline.gemini_prompt import build_prompt, parse_answer
from jobs.pipeline.text import SourceSentence

PROBE = [SourceSentence("Il pleuvait sur la ville depuis le matin, et personne ne sortait.", paragraph_start=True)]
PROBLEMS = {
    "GEMINI_MODEL_NOT_FOUND": "not found (404): retired, or misspelled",
    "GEMINI_BAD_REQUEST": "refused the configuration (400)",
    "GEMINI_QUOTA": "quota spent",
    "GEMINI_UNAVAILABLE": "unavailable (503 on every attempt)",
}


class Command(BaseCommand):
    help = (
        "Make one tiny call to every configured Gemini model (the three preferences and the fallback), "
        "with the thinking config and temperature the job would send, and report what works. "
        "Exits non-zero when a model cannot serve jobs."
    )

    def handle(self, *args, **options):
        if not settings.GEMINI_API_KEY:
            raise CommandError("GEMINI_API_KEY is not set: jobs run on the local engine, nothing to check.")
        table = gemini_models.table_with(settings.GEMINI_MODEL_TABLE)
        roles: dict[str, list[str]] = {}
        for role, model in [*settings.GEMINI_MODELS.items(), ("fallback", settings.GEMINI_FALLBACK_MODEL)]:
            if model:
                roles.setdefault(model, []).append(role)
        failed = [model for model, names in roles.items() if not self.probe(model, names, table)]
        if failed:
            raise CommandError(f"{len(failed)} of {len(roles)} models cannot serve jobs: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS(f"All {len(roles)} models answer."))

    def probe(self, model: str, roles: list[str], table) -> bool:
        row = gemini_models.capabilities(model, table)
        described = (
            f"{model} ({', '.join(roles)}; thinking {self.thinking(row)}, temperature {row.temperature or 'default'})"
        )
        config = GeminiConfig(
            api_key=settings.GEMINI_API_KEY,
            base_url=settings.GEMINI_BASE_URL,
            model=model,
            fallback_model=None,
            timeout_seconds=settings.GEMINI_TIMEOUT,
            max_attempts=1,
            models=table,
        )
        session = Session(config, None, lambda: False, lambda message: None, time.sleep)
        prompt = build_prompt(
            PROBE,
            context_before="",
            context_after="",
            limit=8,
            min_length=2,
            ignore_dialogue=False,
            preserve_formatting=False,
            fix_hyphenation=False,
        )
        started = time.monotonic()
        try:
            response = session.call(model, prompt, estimated_tokens=200, max_output_tokens=1024)
        except ModelUnusable as problem:
            self.stdout.write(
                self.style.ERROR(f"✗ {described}: {PROBLEMS.get(problem.code, problem.code)} — {problem}")
            )
            return False
        except QuotaExhausted as problem:
            self.stdout.write(self.style.ERROR(f"✗ {described}: quota exhausted — {problem}"))
            return False
        except GeminiChunkFailed as problem:
            self.stdout.write(self.style.ERROR(f"✗ {described}: {problem.code} — {problem.message}"))
            return False
        answer = parse_answer(response, limit=8, expected_words=0, preserve_formatting=False)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"✓ {described}: {answer.finish}, {session.input_tokens} + {session.output_tokens} tokens, {seconds:.1f} s"
            )
        )
        return True

    @staticmethod
    def thinking(row: gemini_models.ModelCapabilities) -> str:
        if row.thinking == gemini_models.BUDGET and row.budget_range:
            return f"budget {row.budget_range[0]}"
        if row.thinking == gemini_models.LEVEL and row.levels:
            return f"level {row.levels[0]}"
        return "not sent (model not in the table)"
