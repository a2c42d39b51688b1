"""ASGI entry point: HTTP through Django, WebSockets through Channels.

The session authenticates pages, whose sockets must come from an allowed
host (a browser always sends Origin, so a cross-site page cannot ride the
session cookie); a JWT (novelproc.ws_auth) authenticates API clients, which
need no Origin."""

import gc
import os
from importlib import import_module

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novelproc.settings")
if not settings.configured:
    # A server loading its application: this process serves requests, so it
    # pools its database connections (settings). Not set when a process that
    # already has its settings (a test) imports this module.
    os.environ.setdefault("NOVELPROC_SERVING", "asgi")
from novelproc.asgi_handler import get_application  # noqa: E402

django_asgi_app = get_application()

from jobs.routing import websocket_urlpatterns  # noqa: E402  (after Django is set up)
from novelproc.asgi_limits import BodySizeLimit  # noqa: E402
from novelproc.ws_auth import JwtAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app),
        "websocket": AuthMiddlewareStack(JwtAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

# Every view and serializer imported now, not by the first request a new
# serving process takes: that one waited about 0.3 s, and every request
# that came in behind it too.
import_module(settings.ROOT_URLCONF)

if settings.SERVING_HTTP:
    # What is loaded now lives as long as the process: out of the collector's
    # sight, a full collection no longer walks its 150,000 objects, which held
    # the process (and every request in it) for about 80 ms each time.
    gc.collect()
    gc.freeze()
