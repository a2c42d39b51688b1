"""JWT authentication for API clients' sockets.

Pages authenticate with the session cookie (AuthMiddlewareStack). API clients
send their access token as the subprotocol pair `["bearer", TOKEN]` (the
server then accepts with `bearer`, as browsers require) or, where a client
cannot set subprotocols, as `?token=TOKEN` (which may end up in access logs).
A token, when given, decides the user; a bad token means anonymous."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
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
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token, subprotocol = _token_from(scope)
        if token:
            scope = {**scope, "user": await _user_for(token), "accepted_subprotocol": subprotocol}
        return await self.inner(scope, receive, send)
