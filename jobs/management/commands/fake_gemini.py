from django.core.management.base import BaseCommand, CommandError

from devtools.fakegemini import ANSWERS, ERROR_KINDS, REFUSALS, FakeGemini
from jobs.pipeline import local_engine


class Command(BaseCommand):
    help = (
        "Run a fake Gemini server (the REST protocol google-genai speaks) that answers with the owned "
        "sentences cut to the limit (or the local engine's). Point the project at it with GEMINI_BASE_URL=http://HOST:PORT and any "
        "GEMINI_API_KEY (or the one given with --api-key). GET /_stats shows what it counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--latency",
            type=float,
            default=0.0,
            help="Seconds from request to answer, the answer's own computation included.",
        )
        parser.add_argument(
            "--base",
            type=float,
            default=0.0,
            help="Seconds every answer takes on top of --latency, as a model's time to its first token.",
        )
        parser.add_argument(
            "--tps",
            type=float,
            default=0.0,
            help="Output tokens a second: each answer takes its tokens / tps more (0: no such term). "
            "Gemini flash-lite is about --base 0.8 --tps 300.",
        )
        parser.add_argument(
            "--answer",
            choices=ANSWERS,
            default="cut",
            help="How the answer is written: cut long sentences (no parse, the default), or the local "
            "engine's split or simplify (its CPU then counts in the latency).",
        )
        parser.add_argument("--jitter", type=float, default=0.0, help="± seconds, uniform, around the latency.")
        parser.add_argument("--error-rate", type=float, default=0.0, help="Share of requests given a fault (0..1).")
        parser.add_argument(
            "--error-kinds",
            default=",".join(ERROR_KINDS),
            help=f"Comma-separated faults to mix (default: all of {', '.join(ERROR_KINDS)}).",
        )
        parser.add_argument("--quota-rpm", type=int, default=None, help="Requests each model accepts per minute.")
        parser.add_argument(
            "--exhaust-model", action="append", default=[], help="Answer 429 to every call of this model."
        )
        parser.add_argument("--retry-delay", type=float, default=1.0, help="Seconds in a 429's RetryInfo.")
        parser.add_argument("--api-key", default=None, help="The only key accepted (default: any non-empty key).")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--fail-text", default=None, help="Answer 500 to every request whose text contains this.")
        for kind in REFUSALS:
            parser.add_argument(
                f"--{kind}-rate", type=float, default=0.0, help=f"Share of accepted calls answered with {kind} (0..1)."
            )
        for option, what in (
            ("missing-model", "404 NOT_FOUND (retired)"),
            ("daily-quota-model", "429 with a PerDay quotaId (the day's quota spent)"),
            ("storm-model", "503 UNAVAILABLE (a storm)"),
            ("thinking-required-model", "400 when sent thinking budget 0"),
            ("level-only-model", "400 when sent a thinking budget"),
        ):
            parser.add_argument(f"--{option}", action="append", default=[], help=f"Answer {what} to this model.")

    def handle(self, *args, **options):
        try:
            server = FakeGemini(
                options["host"],
                options["port"],
                latency=options["latency"],
                base=options["base"],
                tps=options["tps"],
                answer=options["answer"],
                jitter=options["jitter"],
                error_rate=options["error_rate"],
                error_kinds=tuple(kind for kind in options["error_kinds"].split(",") if kind),
                quota_rpm=options["quota_rpm"],
                exhausted_models=frozenset(options["exhaust_model"]),
                retry_delay=options["retry_delay"],
                api_key=options["api_key"],
                seed=options["seed"],
                fail_text=options["fail_text"],
                missing_models=frozenset(options["missing_model"]),
                daily_quota_models=frozenset(options["daily_quota_model"]),
                storm_models=frozenset(options["storm_model"]),
                thinking_required_models=frozenset(options["thinking_required_model"]),
                level_only_models=frozenset(options["level_only_model"]),
                **{f"{kind}_rate": options[f"{kind}_rate"] for kind in REFUSALS},
            )
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from error
        local_engine.load()  # repairs (and --answer split/simplify) use the local engine: ready before it listens
        self.stdout.write(
            f"Fake Gemini listening on {server.url} (GEMINI_BASE_URL={server.url}); stats at {server.url}/_stats"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
