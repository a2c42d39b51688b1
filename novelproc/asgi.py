"""ASGI entry point: HTTP through Django, WebSockets through Channels.

The session authenticates pages, whose sockets must come from an allowed
host (a browser always sends Origin, so a cross-site page cannot ride the
session cookie); a JWT (novelproc.ws_auth) authenticates API clients, which
need no Origin."""

import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novelproc.settings")
if not settings.configured:
    # A server loading its application: this process serves requests, so it
    # pools its database connections (settings). Not set when a process that
    # already has its settings (a test) imports this module.
    os.environ.setdefault("NOVELPROC_SERVING", "asgi")
django_asgi_app = get_asgi_application()

from jobs.routing import websocket_urlpatterns  # noqa: E402  (after Django is set up)
from novelproc.asgi_limits import BodySizeLimit  # noqa: E402
from novelproc.ws_auth import JwtAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app),
        "websocket": AuthMiddlewareStack(JwtAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
