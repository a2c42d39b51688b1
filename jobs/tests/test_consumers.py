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


def talk_to_service(
    job_id: int, *, headers: list[tuple[bytes, bytes]], subprotocols: list[str] | None = None, query: str = ""
):
    """Connect through the service's whole ASGI stack (origin check, session and
    token auth); returns whether the handshake was accepted and the first message."""
    from novelproc.asgi import application

    async def talk() -> tuple[bool, dict | None]:
        communicator = WebsocketCommunicator(
            application, f"/ws/jobs/{job_id}/{query}", headers=headers, subprotocols=subprotocols
        )
        connected, _ = await communicator.connect()
        message = await communicator.receive_output(timeout=10) if connected else None
        await communicator.disconnect()
        await database_sync_to_async(close_connection)()
        return connected, message

    return asyncio.run(talk())


def access_token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


def test_a_token_socket_needs_no_origin(user):
    job = make_started_job(user, chunks=1)

    by_subprotocol = talk_to_service(job.pk, headers=[], subprotocols=["bearer", access_token(user)])
    by_query = talk_to_service(job.pk, headers=[], query=f"?token={access_token(user)}")

    for connected, message in (by_subprotocol, by_query):
        assert connected and "text" in message, message
        assert '"type": "snapshot"' in message["text"]


def test_a_cookie_socket_still_needs_an_allowed_origin(user):
    from django.test import Client

    job = make_started_job(user, chunks=1)
    client = Client()
    client.force_login(user)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    assert talk_to_service(job.pk, headers=[cookie])[0] is False
    assert talk_to_service(job.pk, headers=[cookie, (b"origin", b"http://evil.example")])[0] is False
    connected, message = talk_to_service(job.pk, headers=[cookie, (b"origin", b"http://localhost")])
    assert connected and '"type": "snapshot"' in message["text"]


def test_a_bad_token_without_origin_is_let_in_only_to_be_closed(user):
    job = make_started_job(user, chunks=1)
    connected, message = talk_to_service(job.pk, headers=[], subprotocols=["bearer", "not-a-token"])
    assert connected and message == {"type": "websocket.close", "code": CLOSE_NOT_AUTHENTICATED}


def test_an_open_socket_is_closed_when_its_job_is_deleted(user, settings):
    settings.LIVE_RESYNC_SECONDS = 0.1
    job = make_started_job(user, chunks=1)

    async def talk() -> list[dict]:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/jobs/{job.pk}/")
        communicator.scope["user"] = user
        await communicator.connect()
        messages = [await communicator.receive_output(timeout=10)]
        await database_sync_to_async(Job.objects.filter(pk=job.pk).update)(deleted_at=timezone.now())
        while messages[-1]["type"] != "websocket.close":
            messages.append(await communicator.receive_output(timeout=10))
        await communicator.disconnect()
        await database_sync_to_async(close_connection)()
        return messages

    messages = asyncio.run(talk())

    assert '"type": "snapshot"' in messages[0]["text"]
    assert messages[-1] == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
