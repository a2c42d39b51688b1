"""The job progress socket: authenticate, check ownership, send a snapshot,
then forward what changed. Nothing more (STYLE.md)."""

from __future__ import annotations

import asyncio
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from jobs.events import JobWatch, group_name
from jobs.selectors import get_owned_job
from novelproc.errors import JobNotFound

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        # Accept first, then close with a 4xxx code: a refused handshake would
        # only tell the client "403", not why.
        await self.accept(subprotocol=self.scope.get("accepted_subprotocol"))
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        try:
            await database_sync_to_async(get_owned_job)(user=user, job_id=job_id)
        except JobNotFound:
            await self.close(code=CLOSE_NOT_FOUND)  # never reveal that another user's job exists
            return
        self.watch = JobWatch(job_id)
        self.last_sent = 0.0
        self.pending: asyncio.Task | None = None
        await self._join()
        await self.send_json(await database_sync_to_async(self.watch.snapshot)())
        self.resync = asyncio.create_task(self._resync_forever())

    async def disconnect(self, code: int) -> None:
        for task in (getattr(self, "resync", None), getattr(self, "pending", None)):
            if task is not None:
                task.cancel()
        if hasattr(self, "watch"):
            await self.channel_layer.group_discard(group_name(self.watch.job_id), self.channel_name)

    async def job_changed(self, event: dict) -> None:
        """A ping from a worker or a web process: look again, at most every throttle interval."""
        wait = self.last_sent + settings.LIVE_THROTTLE_SECONDS - time.monotonic()
        if wait <= 0:
            await self._send_changes()
        elif self.pending is None or self.pending.done():
            self.pending = asyncio.create_task(self._send_later(wait))

    async def _send_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._send_changes()

    async def _join(self) -> None:
        await self.channel_layer.group_add(group_name(self.watch.job_id), self.channel_name)
        self.joined_after_outages = getattr(self.channel_layer, "outages", 0)

    def _layer_down(self) -> bool:
        return getattr(self.channel_layer, "down", False)  # novelproc.channel_layer

    async def _resync_forever(self) -> None:
        # Without a cross-process layer (embedded default) this is how worker
        # progress arrives; with Redis it repairs dropped pings, and while
        # Redis is down it is how progress arrives again, at the embedded pace.
        last = time.monotonic()
        while True:
            await asyncio.sleep(min(settings.LIVE_RESYNC_SECONDS, settings.LIVE_RESYNC_FALLBACK_SECONDS))
            down = self._layer_down()
            if not down and getattr(self.channel_layer, "outages", 0) != self.joined_after_outages:
                await self._join()  # the group may have been lost with Redis
            # (a sleep may end a hair early: 10 ms of slack keeps the embedded pace at one read per interval)
            if down or time.monotonic() - last >= settings.LIVE_RESYNC_SECONDS - 0.01:
                last = time.monotonic()
                await self._send_changes()

    async def _send_changes(self) -> None:
        try:
            event = await database_sync_to_async(self.watch.changes)()
        except JobNotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.last_sent = time.monotonic()
        if event is not None:
            await self.send_json(event)
