"""Django's ASGI handler with its middleware chain run synchronously, in one
thread hop per request.

Every middleware of this project, and every view (DRF's included), is
synchronous. Django's own ASGIHandler loads the chain in async mode, so each
boundary between a sync-only middleware (whitenoise, ours) and the async
ones, each `process_request`/`process_response` of a MiddlewareMixin and
each `process_view` becomes a thread hop of its own: about a dozen per
request, each a wait for the thread or the loop to be scheduled again. Under
200 pollers of `GET jobs/{id}` (the web alone, issue #14) one hop instead of
those took the median from 16-17 ms to 11-13 and the p95 from 62-149 ms to
30-52, at about the same CPU a request. Here the chain is
built once in sync mode, as the WSGI handler builds it, and the ASGI side
(reading the body, spooling it, sending the response, noticing a client that
disconnects) stays Django's: a request crosses into a thread once for the
chain, besides the request_started and response.close signals Django sends
from the loop.

The thread is the request's own ThreadSensitiveContext thread, the one the
signals run on too, so the database connection the view takes from the pool
is the one request_finished gives back."""

from __future__ import annotations

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_application() -> SyncChainASGIHandler:
    """Like django.core.asgi.get_asgi_application, with the handler above."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
