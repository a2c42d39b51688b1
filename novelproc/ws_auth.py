"""JWT authentication for API clients' sockets.

Pages authenticate with the session cookie (AuthMiddlewareStack). API clients
send their access token as the subprotocol pair `["bearer", TOKEN]` (the
server then accepts with `bearer`, as browsers require) or, where a client
cannot set subprotocols, as `?token=TOKEN` (which may end up in access logs).
A token, when given, decides the user; a bad token means anonymous.

Only cookie-authenticated sockets need an allowed Origin: a cross-site page
can make a browser send the session cookie, but it cannot know a token, and
API clients (Python `websockets`, `wscat`) send no Origin at all."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser

SUBPROTOCOL = "bearer"


def _token_from(scope) -> tuple[str | None, str | None]:
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0] == SUBPROTOCOL:
        return protocols[1], SUBPROTOCOL
    token = parse_qs(scope.get("query_string", b"").decode()).get("token", [None])[0]
    return token, None


@database_sync_to_async
def _user_for(token: str):
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

    auth = JWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(token))
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser()


class JwtAuthMiddleware:
    """A token decides the user and lets the socket through without an Origin;
    without one, the session (AuthMiddlewareStack, outside this) decides and
    the Origin must be an allowed host."""

    def __init__(self, inner):
        self.inner = inner
        self.session_socket = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope, receive, send):
        token, subprotocol = _token_from(scope)
        if not token:
            return await self.session_socket(scope, receive, send)
        scope = {**scope, "user": await _user_for(token), "accepted_subprotocol": subprotocol}
        return await self.inner(scope, receive, send)
