"""Oversized bodies are refused before they are read, on every URL (novelproc.asgi_limits)."""

from __future__ import annotations

import asyncio
import json

import pytest

from novelproc.asgi_limits import BodySizeLimit


def call(app, *, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[list[dict], int]:
    """Run `app` on one request; returns what it sent and how many body chunks it read."""
    sent: list[dict] = []
    read = {"n": 0}

    async def receive():
        if read["n"] < len(chunks):
            read["n"] += 1
            return {"type": "http.request", "body": chunks[read["n"] - 1], "more_body": read["n"] < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/anything", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent, read["n"]


async def reads_everything(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_a_content_length_over_the_limit_is_413_before_any_byte_is_read(settings):
    settings.MAX_REQUEST_BYTES = 1000
    sent, read = call(BodySizeLimit(reads_everything), headers=[(b"content-length", b"60000000")], chunks=[b"x" * 10])

    assert read == 0
    assert sent[0]["status"] == 413 and json.loads(sent[1]["body"])["error_code"] == "FILE_TOO_LARGE"


def test_a_chunked_body_growing_past_the_limit_is_cut_off_with_413(settings):
    settings.MAX_REQUEST_BYTES = 1000
    sent, read = call(BodySizeLimit(reads_everything), headers=[], chunks=[b"x" * 600] * 5)

    assert read == 2 and [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]


@pytest.mark.parametrize("length", [b"1000", b"10"])
def test_bodies_within_the_limit_pass(settings, length):
    settings.MAX_REQUEST_BYTES = 1000
    sent, _ = call(BodySizeLimit(reads_everything), headers=[(b"content-length", length)], chunks=[b"x" * int(length)])
    assert sent[0]["status"] == 200
