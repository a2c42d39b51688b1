"""channels-redis that degrades instead of failing while Redis is down.

Out of the box a socket's consumer dies with 1011 when the layer's receive
or group_add raises. Here they wait and retry, pings are dropped (delivery is
at most once anyway), and `down` tells the job sockets to re-read the
database at the embedded default's pace until Redis answers again
(jobs.consumers): the database is the truth, the layer only saves reads."""

from __future__ import annotations

import asyncio
import logging
import time

from channels_redis.core import RedisChannelLayer

from novelproc.errors import REDIS_DOWN

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# Down for this long after the last failure: a receive retries every second,
# so an outage keeps it fresh, and it clears a few seconds after Redis is back.
DOWN_FOR_SECONDS = 3.0


class ResilientRedisChannelLayer(RedisChannelLayer):
    last_failure = float("-inf")
    outages = 0  # counted, so that a socket can join its group again after one

    @property
    def down(self) -> bool:
        return time.monotonic() - self.last_failure < DOWN_FOR_SECONDS

    def _failed(self, what: str, exc: Exception) -> None:
        if not self.down:
            self.outages += 1
            logger.warning("Channel layer: Redis is down (%s: %s); sockets re-read the database", what, exc)
        self.last_failure = time.monotonic()

    async def receive(self, channel):
        while True:
            try:
                return await super().receive(channel)
            except REDIS_DOWN as exc:
                self._failed("receive", exc)
                await asyncio.sleep(RETRY_SECONDS)

    async def group_add(self, group, channel):
        try:
            await super().group_add(group, channel)
        except REDIS_DOWN as exc:
            self._failed("group_add", exc)

    async def group_discard(self, group, channel):
        try:
            await super().group_discard(group, channel)
        except REDIS_DOWN as exc:
            self._failed("group_discard", exc)

    async def probe(self, group, message):
        """group_send that raises while Redis is down: for /readyz, which must see it."""
        await super().group_send(group, message)

    async def group_send(self, group, message):
        try:
            await super().group_send(group, message)
        except REDIS_DOWN as exc:
            self._failed("group_send", exc)
