"""Request bodies past MAX_REQUEST_BYTES are refused before they are read.

Django reads the whole body (spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE)
before a view can look at it, logged in or not. Here a Content-Length over
the limit gets 413 at once, on every URL, and what the client still sends is
dropped by the server, never reaching Django; a chunked body that
grows past the limit is cut off with the same answer."""

from __future__ import annotations

import json

from django.conf import settings


def _too_large_body() -> bytes:
    mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
    return json.dumps(
        {"error": f"The request is larger than the {mb} MB upload limit.", "error_code": "FILE_TOO_LARGE"}
    ).encode()


class BodySizeLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BYTES
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await self._refuse(send)
        state = {"received": 0, "refused": False}

        async def counted_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit and not state["refused"]:
                    state["refused"] = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing more
            return message

        async def guarded_send(message):
            if not state["refused"]:
                await send(message)

        return await self.app(scope, counted_receive, guarded_send)

    @staticmethod
    async def _refuse(send) -> None:
        body = _too_large_body()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # No `Connection: close`: the server then reads on and drops
                    # the rest of the body (Django never sees it), so that a client
                    # sending its whole body before reading gets this answer instead
                    # of a connection reset; the keep-alive timeout ends it.
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
