"""The cluster-wide Gemini quota limiter, on the database store and on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import caches

from jobs import quota

ROOT = Path(__file__).resolve().parents[2]
START = 1_000 * 60 + 10.0  # ten seconds into a minute


class FakeClock:
    def __init__(self, now: float = START, *, frozen: bool = False) -> None:
        self.now, self.frozen, self.slept = now, frozen, 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept += seconds
            if not self.frozen:
                self.now += seconds


def database_store():
    if "q2stats" not in settings.CACHES:
        pytest.skip("the database store serves the embedded default (no REDIS_URL), where the q2stats table exists")
    return quota.DatabaseQuotaStore(settings.CACHES["q2stats"]["LOCATION"])


def redis_store():
    return quota.RedisQuotaStore(caches["default"])


def grants_in_frozen_minute(store, *, threads: int, tries: int, rpm: int, tpm: int = 0, tokens: int = 10) -> int:
    """Every thread asks ``tries`` times in one frozen minute and gives up at its first wait."""
    granted = []

    def worker() -> None:
        clock = FakeClock(frozen=True)
        for _ in range(tries):
            if quota.acquire(
                "gemini-test",
                tokens,
                rpm=rpm,
                tpm=tpm,
                clock=clock,
                sleep=clock.sleep,
                should_stop=lambda: clock.slept > 0,
                store=store,
            ):
                granted.append(1)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    return len(granted)


@pytest.mark.django_db(transaction=True)
def test_database_store_never_grants_more_than_rpm_to_two_threads():
    assert grants_in_frozen_minute(database_store(), threads=4, tries=6, rpm=5) == 5


@pytest.mark.django_db(transaction=True)
def test_database_store_keeps_tokens_per_minute():
    assert grants_in_frozen_minute(database_store(), threads=2, tries=5, rpm=100, tpm=1000, tokens=300) == 3


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_store_never_grants_more_than_rpm_to_two_threads():
    assert grants_in_frozen_minute(redis_store(), threads=2, tries=8, rpm=5) == 5
    # The same minute already holds 5 × 10 tokens: 50 + 3 × 300 fits in 1000, a fourth would not.
    assert grants_in_frozen_minute(redis_store(), threads=2, tries=5, rpm=0, tpm=1000, tokens=300) == 3


@pytest.mark.redis
def test_redis_store_never_grants_more_than_rpm_to_two_processes():
    script = (
        "import django, sys; django.setup()\n"
        "from jobs import quota\n"
        "slept = []\n"
        "granted = sum(quota.acquire('gemini-procs', 10, rpm=7, tpm=0, clock=lambda: 61_000.0 * 60 + 5,"
        " sleep=slept.append, should_stop=lambda: bool(slept)) for _ in range(10))\n"
        "print(granted)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "novelproc.test_settings"}
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    counts = [int(p.communicate(timeout=60)[0].split()[-1]) for p in processes]

    assert sum(counts) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("make_store", [database_store, pytest.param(redis_store, marks=pytest.mark.redis)])
def test_a_full_minute_waits_for_the_next_one(make_store):
    store, clock, waits = make_store(), FakeClock(), []
    times = []
    for _ in range(5):
        assert quota.acquire(
            "gemini-wait", 10, rpm=2, tpm=0, clock=clock, sleep=clock.sleep, on_wait=waits.append, store=store
        )
        times.append(clock())

    minutes = [int(t // 60) for t in times]
    assert minutes == [1000, 1000, 1001, 1001, 1002]
    assert waits == ["Waiting for Gemini quota (gemini-wait)"] * 2  # once per acquire that had to wait


@pytest.mark.django_db
def test_a_call_granted_just_before_a_minute_ends_counts_in_the_next_minute():
    store, clock = database_store(), FakeClock(START + 49.5)  # half a second before the minute turns
    for _ in range(2):
        quota.acquire("gemini-edge", 10, rpm=2, tpm=0, clock=clock, sleep=clock.sleep, store=store)
    clock.now = START + 50.2  # the next minute has begun
    quota.acquire("gemini-edge", 10, rpm=2, tpm=0, clock=clock, sleep=clock.sleep, store=store)

    assert int(clock() // 60) == 1002  # the next minute was full already: waited one more


@pytest.mark.django_db
def test_models_have_their_own_budgets_and_a_stop_ends_the_wait():
    store, clock = database_store(), FakeClock(frozen=True)
    stop = lambda: clock.slept > 0  # noqa: E731
    assert quota.acquire("model-a", 10, rpm=1, tpm=0, clock=clock, sleep=clock.sleep, should_stop=stop, store=store)
    assert quota.acquire("model-b", 10, rpm=1, tpm=0, clock=clock, sleep=clock.sleep, should_stop=stop, store=store)
    assert not quota.acquire("model-a", 10, rpm=1, tpm=0, clock=clock, sleep=clock.sleep, should_stop=stop, store=store)


def test_limiter_for_reads_per_model_settings_and_skips_unlimited_models(monkeypatch):
    calls = []
    monkeypatch.setattr(
        quota, "acquire", lambda model, tokens, **kw: calls.append((model, tokens, kw["rpm"], kw["tpm"])) or True
    )
    monkeypatch.setattr(quota, "default_store", lambda settings_like=None: object())
    limiter = quota.limiter_for(
        SimpleNamespace(REDIS_URL="", GEMINI_RPM={"gemini-2.5-flash": 10, "*": 0}, GEMINI_TPM=250_000)
    )

    assert limiter("gemini-2.5-flash", 500) is True
    assert limiter("gemini-2.5-pro", 500) is True  # rpm unlimited, tpm still applies
    assert calls == [("gemini-2.5-flash", 500, 10, 250_000), ("gemini-2.5-pro", 500, 0, 250_000)]
    assert quota.limiter_for(SimpleNamespace(REDIS_URL="", GEMINI_RPM=0, GEMINI_TPM=None))("m", 1) is True


@pytest.mark.django_db
def test_a_spent_daily_quota_is_remembered_by_the_cluster_until_midnight_pacific():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # 23:00 in Los Angeles: an hour to the reset, whatever the server's delay said.
    eleven_pm = datetime(2026, 12, 1, 23, 0, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()
    assert quota.seconds_until_daily_reset(eleven_pm) == 3600
    store = quota.spent_quotas(settings)  # Redis with REDIS_URL, else the shared database table
    other = quota.spent_quotas(settings)  # another worker

    assert not store.spent("gemini-3.7-flash")
    store.remember("gemini-3.7-flash", 60)
    assert other.spent("gemini-3.7-flash") and not other.spent("gemini-2.5-flash-lite")


@pytest.mark.django_db(transaction=True)
def test_requests_per_day_are_counted_and_a_spent_day_hands_the_model_over_at_once():
    from jobs.pipeline.gemini_calls import ModelUnusable

    store, clock = database_store(), FakeClock()
    for _ in range(3):
        assert quota.acquire("gemini-day", 100, rpm=0, tpm=0, rpd=3, clock=clock, sleep=clock.sleep, store=store)
    with pytest.raises(ModelUnusable) as spent:
        quota.acquire("gemini-day", 100, rpm=0, tpm=0, rpd=3, clock=clock, sleep=clock.sleep, store=store)
    assert spent.value.code == "GEMINI_QUOTA" and spent.value.spent_for > 0 and clock.slept == 0  # no wait
    # The next Pacific day starts afresh.
    clock.now += quota.seconds_until_daily_reset(clock.now) + 1
    assert quota.acquire("gemini-day", 100, rpm=0, tpm=0, rpd=3, clock=clock, sleep=clock.sleep, store=store)


def test_the_engine_asks_the_limiter_for_its_prompts_input_tokens_not_the_expected_output(fake_gemini):
    from jobs.pipeline import gemini_prompt
    from jobs.tests.test_pipeline_gemini_engine import SOURCE, config_for, run

    asked: list[int] = []
    server = fake_gemini()
    run(config_for(server), acquire=lambda model, tokens: asked.append(tokens) or True)

    prompt = server.bodies[0]["contents"][0]["parts"][0]["text"]
    assert asked == [-(-(len(gemini_prompt.SYSTEM_INSTRUCTION) + len(prompt)) // 4)]
    assert asked[0] == server.stats()["tokens"]["gemini-2.5-flash"]["prompt"]  # what Google's TPM counts
    assert sum(len(s.text) for s in SOURCE) > 0
