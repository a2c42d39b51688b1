"""The cluster-wide Gemini quota: requests and input tokens per clock minute,
and requests per day, per model.

Google's tokens-per-minute limit counts input tokens only: the engine asks
with a call's prompt tokens, not its expected output. A model whose day's
requests (``GEMINI_RPD``) are spent cannot serve the chunk before the reset
(midnight Pacific): ``acquire`` raises the engine's ``ModelUnusable`` then,
so that the chunk falls back at once and the model is remembered as spent.

Every worker process on every machine asks :func:`acquire` before each
Gemini call; it returns once the call fits in the current minute's budget
(requests and estimated tokens), waiting for the next minute otherwise.
Windows are fixed clock minutes, like the fake Gemini server's counter. A
call granted in the last ``GUARD_SECONDS`` of a minute may reach the server
in the next one, so it is counted in both.

Two stores, both through Django's cache API:

* Redis (``REDIS_URL`` set): two counters per model and minute, moved with
  the atomic ``INCR``/``INCRBY``; a claim that overshoots is taken back, so a
  moment's overshoot only ever makes another caller wait.
* The database otherwise (the ``q2stats`` table that every process shares):
  ``DatabaseCache.incr`` is a read then a write, so it cannot count. Instead
  each granted call *claims a slot* ``…:{minute}:{n}`` with ``add()``, an
  INSERT that only one process can win. Slots are claimed in order (a caller
  only tries slot ``n`` after reading slots ``0..n-1``) and never deleted
  while they matter (a claim taken back is marked void), so whoever holds
  slot ``n`` has counted every slot below it: the highest granted slot proves
  the minute's total is within the budget.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, router
from django.utils import timezone

WINDOW = 60  # seconds: the providers' limits are per minute
GUARD_SECONDS = 1.0  # a call granted this close to a minute's end counts in the next one too
KEY_PREFIX = "novelproc:gemini-quota"
WAIT_MESSAGE = "Waiting for Gemini quota ({model})"
WAIT_STEP = 1.0  # seconds between should_stop checks while waiting
WAKE_JITTER = 0.25  # spread the waiters' wake-ups after a minute turns
VOID = -1
SLOT_BATCH = 100
MAX_CLAIM_TRIES = 10_000


class QuotaStore(Protocol):
    def claim(self, model: str, minute: int, tokens: int, *, rpm: int, tpm: int, now: float) -> object | None: ...

    def release(self, model: str, minute: int, tokens: int, claim: object, *, now: float) -> None: ...


def expiry(minute: int, now: float) -> int:
    """Seconds a minute's keys must live: past the minute (and its guard), never less than a window."""
    return max(WINDOW, int((minute + 2) * WINDOW - now))


class RedisQuotaStore:
    """Atomic counters in the Redis-backed default cache."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def keys(self, model: str, minute: int) -> tuple[str, str]:
        return f"{KEY_PREFIX}:{model}:{minute}:requests", f"{KEY_PREFIX}:{model}:{minute}:tokens"

    def claim(self, model: str, minute: int, tokens: int, *, rpm: int, tpm: int, now: float) -> object | None:
        requests_key, tokens_key = self.keys(model, minute)
        seen = self.cache.get_many([requests_key, tokens_key])
        if (rpm and seen.get(requests_key, 0) >= rpm) or (tpm and seen.get(tokens_key, 0) + tokens > tpm):
            return None  # full: do not even touch the counters
        timeout = expiry(minute, now)
        self.cache.add(requests_key, 0, timeout)
        self.cache.add(tokens_key, 0, timeout)
        requests = self.cache.incr(requests_key)
        used = self.cache.incr(tokens_key, tokens) if tokens else 0
        if (rpm and requests > rpm) or (tpm and used > tpm):
            self.release(model, minute, tokens, True, now=now)
            return None
        return True

    def release(self, model: str, minute: int, tokens: int, claim: object, *, now: float) -> None:
        requests_key, tokens_key = self.keys(model, minute)
        self.cache.decr(requests_key)
        if tokens:
            self.cache.decr(tokens_key, tokens)


class DatabaseQuotaStore:
    """One row per granted call in the shared cache table, claimed with add() (an INSERT)."""

    def __init__(self, table: str) -> None:
        # Our own backend on the shared table, with culling off for our writes:
        # Django's cull deletes rows by key order, which would open holes in a
        # minute's slots. Expired slot rows are purged below instead.
        self.cache = DatabaseCache(table, {"OPTIONS": {"MAX_ENTRIES": 10**9}})

    def slot_key(self, model: str, minute: int, slot: int) -> str:
        return f"{KEY_PREFIX}:{model}:{minute}:{slot:06d}"

    def claim(self, model: str, minute: int, tokens: int, *, rpm: int, tpm: int, now: float) -> object | None:
        slot, requests, used = 0, 0, 0
        for _ in range(MAX_CLAIM_TRIES):
            keys = [self.slot_key(model, minute, n) for n in range(slot, slot + SLOT_BATCH)]
            taken = self.cache.get_many(keys)
            for key in keys:
                if key not in taken:
                    break
                if taken[key] != VOID:
                    requests, used = requests + 1, used + taken[key]
                slot += 1
            else:
                continue  # the whole batch is taken: read the next one
            if (rpm and requests + 1 > rpm) or (tpm and used + tokens > tpm):
                return None
            if self.cache.add(self.slot_key(model, minute, slot), tokens, expiry(minute, now)):
                if slot == 0:
                    self.purge_expired()  # once per model and minute, by whoever opens it
                return slot
            # Lost slot `slot` to another caller (or the write failed): read it again.
        raise RuntimeError(f"quota store: could not claim a slot for {model} in {MAX_CLAIM_TRIES} tries")

    def release(self, model: str, minute: int, tokens: int, claim: object, *, now: float) -> None:
        # Never delete: a hole would let a late caller count fewer slots than exist.
        self.cache.set(self.slot_key(model, minute, int(claim)), VOID, expiry(minute, now))  # type: ignore[call-overload]

    def purge_expired(self) -> None:
        db = router.db_for_write(self.cache.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self.cache._table)
        pattern = self.cache.make_key(KEY_PREFIX) + "%"
        expires = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE cache_key LIKE %s AND expires < %s", [pattern, expires])
        except DatabaseError:
            pass  # tidying only: the next minute's opener tries again


def default_store(settings_like: Any = None) -> QuotaStore:
    settings_like = settings_like or settings
    if getattr(settings_like, "REDIS_URL", ""):
        return RedisQuotaStore(caches["default"])
    return DatabaseQuotaStore(settings_like.CACHES["q2stats"]["LOCATION"])


def acquire(
    model: str,
    tokens: int,
    *,
    rpm: int,
    tpm: int,
    rpd: int = 0,
    on_wait: Callable[[str], None] = lambda message: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    should_stop: Callable[[], bool] = lambda: False,
    store: QuotaStore | None = None,
) -> bool:
    """Block until one call of ``model`` with about ``tokens`` tokens fits in
    the cluster's budget (``rpm``/``tpm``, 0 = no limit). False if
    ``should_stop`` turned True first (nothing was claimed then)."""
    if not rpm and not tpm and not rpd:
        return True
    tokens = max(0, int(tokens))
    if tpm:
        tokens = min(tokens, tpm)  # a call bigger than the budget still goes, alone in its minute
    store = store or default_store()
    if rpd:
        claim_day(store, model, rpd, now=clock())
    if not rpm and not tpm:
        return not should_stop()
    waiting = False
    while not should_stop():
        now = clock()
        minute = int(now // WINDOW)
        minutes = [minute, minute + 1] if now >= (minute + 1) * WINDOW - GUARD_SECONDS else [minute]
        if claim_all(store, model, minutes, tokens, rpm=rpm, tpm=tpm, now=now):
            return True
        if not waiting:
            on_wait(WAIT_MESSAGE.format(model=model))
            waiting = True
        delay = (minute + 1) * WINDOW - now + random.uniform(0, WAKE_JITTER)
        while delay > 0 and not should_stop():
            step = min(delay, WAIT_STEP)
            sleep(step)
            delay -= step
    return False


def claim_day(store: QuotaStore, model: str, rpd: int, *, now: float) -> None:
    """Count the call in the model's day (Pacific), or raise the engine's
    ModelUnusable when the day's requests are spent."""
    from jobs.pipeline.gemini_calls import ModelUnusable

    day = int((now - pacific_offset(now)) // 86400)
    # The day's counter is the store's minute counter for a name of its own: one window a day.
    if store.claim(f"{model}:day", day, 0, rpm=rpd, tpm=0, now=now) is None:
        raise ModelUnusable(
            "GEMINI_QUOTA",
            f"Gemini {model}: {rpd} requests a day (GEMINI_RPD) spent",
            spent_for=seconds_until_daily_reset(now),
        )


def pacific_offset(now: float) -> float:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    offset = datetime.fromtimestamp(now, ZoneInfo(DAILY_RESET_ZONE)).utcoffset()
    return -offset.total_seconds() if offset else 0.0


def claim_all(
    store: QuotaStore, model: str, minutes: list[int], tokens: int, *, rpm: int, tpm: int, now: float
) -> bool:
    claimed: list[tuple[int, object]] = []
    for minute in minutes:
        claim = store.claim(model, minute, tokens, rpm=rpm, tpm=tpm, now=now)
        if claim is None:
            for done_minute, done in claimed:
                store.release(model, done_minute, tokens, done, now=now)
            return False
        claimed.append((minute, claim))
    return True


def limit_for(value: int | Mapping[str, int] | None, model: str) -> int:
    """A setting that is one number for every model, or a mapping model → number ("*": the rest)."""
    if isinstance(value, Mapping):
        value = value.get(model, value.get("*", 0))
    return int(value or 0)


def limiter_for(
    settings_like: Any = None,
    *,
    on_wait: Callable[[str], None] = lambda message: None,
    should_stop: Callable[[], bool] = lambda: False,
    store: QuotaStore | None = None,
) -> Callable[[str, int], bool]:
    """The ``acquire`` callable the Gemini engine takes, from ``GEMINI_RPM`` and
    ``GEMINI_TPM`` (a number, or a mapping model → number), on ``store`` (by
    default the cluster's, opened at the first call that needs it)."""
    settings_like = settings_like or settings
    rpm_setting = getattr(settings_like, "GEMINI_RPM", None)
    tpm_setting = getattr(settings_like, "GEMINI_TPM", None)
    rpd_setting = getattr(settings_like, "GEMINI_RPD", None)

    def limiter(model: str, tokens: int) -> bool:
        nonlocal store
        rpm, tpm, rpd = (limit_for(value, model) for value in (rpm_setting, tpm_setting, rpd_setting))
        if not rpm and not tpm and not rpd:
            return True
        store = store or default_store(settings_like)
        return acquire(model, tokens, rpm=rpm, tpm=tpm, rpd=rpd, on_wait=on_wait, should_stop=should_stop, store=store)

    return limiter


# --- daily quotas ------------------------------------------------------------------------
# A 429 whose quotaId names a per-day quota will not clear for hours (Google
# resets them at midnight Pacific): the model is remembered as spent, for every
# worker of the cluster, until then, so later chunks go straight to the
# fallback instead of each paying a call to learn it again.
DAILY_RESET_ZONE = "America/Los_Angeles"


def seconds_until_daily_reset(now: float | None = None) -> float:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(DAILY_RESET_ZONE)
    moment = datetime.fromtimestamp(time.time() if now is None else now, zone)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - moment).total_seconds())


class SpentQuotas:
    """The cluster's memory of spent daily quotas, in the quota store's cache
    (Redis, or the shared database table): the engine's ``spent_models``."""

    def __init__(self, cache: Any, clock: Callable[[], float] = time.time) -> None:
        self.cache = cache
        self.clock = clock

    def key(self, model: str) -> str:
        return f"{KEY_PREFIX}:{model}:day-spent"

    def spent(self, model: str) -> bool:
        return bool(self.cache.get(self.key(model)))

    def remember(self, model: str, seconds: float) -> None:
        # Until the reset, whatever the server's RetryInfo said: it may be shorter than the day.
        until_reset = seconds_until_daily_reset(self.clock())
        self.cache.set(self.key(model), True, int(max(seconds, until_reset)) + 1)


def spent_quotas(settings_like: Any = None) -> SpentQuotas:
    settings_like = settings_like or settings
    if getattr(settings_like, "REDIS_URL", ""):
        return SpentQuotas(caches["default"])
    return SpentQuotas(DatabaseCache(settings_like.CACHES["q2stats"]["LOCATION"], {}))
