"""django-ratelimit counters turned into 429 + Retry-After (never 403).

The counters live in the cache (Redis with REDIS_URL). While it is down the
limit fails open: the request goes on uncounted, because the limits are a
courtesy to the queue, and the database still bounds each user's active jobs
(MAX_ACTIVE_JOBS_PER_USER) and their credits."""

import logging

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from novelproc.errors import REDIS_DOWN, RateLimited

logger = logging.getLogger(__name__)


def enforce_rate(request, *, group: str, rate: str) -> None:
    if not settings.RATELIMIT_ENABLE:
        return
    try:
        usage = get_usage(request, group=group, key="user_or_ip", rate=rate, method=ALL, increment=True)
    except REDIS_DOWN as exc:
        logger.warning("Rate limit %s not counted, the cache is down (%s): failing open", group, exc)
        return
    if usage and usage["should_limit"]:
        raise RateLimited(retry_after=usage["time_left"])
