"""The ASGI handler runs the whole middleware chain and the view in one
thread hop per request (novelproc.asgi_handler), and answers as Django's does."""

from __future__ import annotations

import asyncio

from asgiref.sync import SyncToAsync
from django.core.handlers.asgi import ASGIHandler

from novelproc.asgi_handler import SyncChainASGIHandler


def get(handler, path: str, monkeypatch) -> tuple[list[dict], list[str]]:
    """Run one GET through `handler`; returns what it sent and the name of
    each function it ran in a thread (each a hop from the event loop)."""
    sent: list[dict] = []
    hops: list[str] = []
    requested = {"done": False}

    async def receive():
        if not requested["done"]:
            requested["done"] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client stays connected until the answer is sent

    async def send(message):
        sent.append(message)

    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    with monkeypatch.context() as patched:
        patched.setattr(SyncToAsync, "__call__", counted)
        asyncio.run(handler(scope, receive, send))
    return sent, hops


def test_the_chain_is_built_synchronous():
    handler = SyncChainASGIHandler()
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)


def test_a_request_crosses_into_a_thread_once_for_the_chain_and_the_view(monkeypatch):
    sent, hops = get(SyncChainASGIHandler(), "/login/", monkeypatch)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    assert b"<form" in b"".join(message.get("body", b"") for message in sent[1:])
    # the chain with its view, and the two signals Django's handle() sends from the loop
    assert hops.count("BaseHandler.get_response") == 1 and len(hops) <= 3, hops

    _, django_hops = get(ASGIHandler(), "/login/", monkeypatch)  # the async chain: a hop per sync piece
    assert len(django_hops) >= 2 * len(hops), django_hops
