"""The job socket in-process (channels' WebsocketCommunicator): who is let in.
test_socket.py runs it against a real daphne and qcluster."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from jobs.consumers import CLOSE_NOT_AUTHENTICATED, CLOSE_NOT_FOUND
from jobs.models import Job
from jobs.routing import websocket_urlpatterns
from jobs.tests.factories import make_started_job

pytestmark = pytest.mark.django_db(transaction=True)


def close_connection() -> None:
    connection.close()  # the connection of the thread this runs in


def first_message(user, job_id: int) -> dict:
    """What the socket sends first to `user`: the snapshot, or its close."""

    async def talk() -> dict:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/jobs/{job_id}/")
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        message = await communicator.receive_output(timeout=10)
        await communicator.disconnect()
        # The consumer's reads ran in asgiref's shared thread: close its connection, or
        # PostgreSQL refuses to drop the test database while it is open.
        await database_sync_to_async(close_connection)()
        return message

    return asyncio.run(talk())


def test_the_owner_gets_the_snapshot(user):
    job = make_started_job(user, chunks=2)

    message = first_message(user, job.pk)

    assert message["type"] == "websocket.send" and '"type": "snapshot"' in message["text"]


def test_a_deleted_job_is_refused_like_another_users(user, user_factory):
    job = make_started_job(user, chunks=2)
    other = make_started_job(user_factory("mallory"), chunks=1)
    Job.objects.filter(pk=job.pk).update(deleted_at=timezone.now())

    assert first_message(user, job.pk) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
    assert first_message(user, other.pk) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
    assert first_message(AnonymousUser(), other.pk) == {"type": "websocket.close", "code": CLOSE_NOT_AUTHENTICATED}
