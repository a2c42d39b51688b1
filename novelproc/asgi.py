"""ASGI entry point: HTTP through Django, WebSockets through Channels.

The session authenticates pages, whose sockets must come from an allowed
host (a browser always sends Origin, so a cross-site page cannot ride the
session cookie); a JWT (novelproc.ws_auth) authenticates API clients, which
need no Origin."""

import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novelproc.settings")
django_asgi_app = get_asgi_application()

from jobs.routing import websocket_urlpatterns  # noqa: E402  (after Django is set up)
from novelproc.ws_auth import JwtAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AuthMiddlewareStack(JwtAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
