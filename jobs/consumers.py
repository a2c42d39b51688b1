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
        await self.channel_layer.group_add(group_name(job_id), self.channel_name)
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

    async def _resync_forever(self) -> None:
        # Without a cross-process layer (embedded default) this is how worker
        # progress arrives; with Redis it repairs dropped pings.
        while True:
            await asyncio.sleep(settings.LIVE_RESYNC_SECONDS)
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
