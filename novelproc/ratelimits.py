"""django-ratelimit counters turned into 429 + Retry-After (never 403)."""

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from novelproc.errors import RateLimited


def enforce_rate(request, *, group: str, rate: str) -> None:
    if not settings.RATELIMIT_ENABLE:
        return
    usage = get_usage(request, group=group, key="user_or_ip", rate=rate, method=ALL, increment=True)
    if usage and usage["should_limit"]:
        raise RateLimited(retry_after=usage["time_left"])
