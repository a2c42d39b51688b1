"""Logging in: the token endpoints (with the statuses they really answer in
the schema) and the brute-force lockout (django-axes) on them and on /login/.

Axes counts failed logins in the database by username and by client IP
(AXES_LOCKOUT_PARAMETERS): LOGIN_FAILURE_LIMIT failures on either lock it out
for LOGIN_LOCKOUT_MINUTES, the right password included. Staff unlock from the
admin ("Access attempts": delete the rows) or with `manage.py axes_reset`."""

from __future__ import annotations

import math

from django.conf import settings
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from novelproc.errors import LoginLocked, error_body
from novelproc.schema import errors


def lockout_seconds_left(*, username: str | None, ip_address: str | None) -> int:
    """Seconds until the lockout of this username or address ends (it ends a
    cool-off after the last failure, which attempts during it do not move)."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip_address)).aggregate(
        last=Max("attempt_time")
    )["last"]
    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    if last is None:
        return math.ceil(cool_off)
    return max(1, math.ceil(cool_off - (timezone.now() - last).total_seconds()))


def locked_out(request) -> LoginLocked:
    username = request.data.get("username") if hasattr(request, "data") else request.POST.get("username")
    seconds = lockout_seconds_left(username=username, ip_address=getattr(request, "axes_ip_address", None))
    return LoginLocked(retry_after=seconds)


def lockout_response(request: HttpRequest, *args) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: what a locked-out login gets, on any path axes watches
    (axes passes (request, response, credentials) or, from async code, (request, credentials))."""
    locked = locked_out(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(locked.message, locked.error_code), status=locked.status_code)
    else:
        response = render(
            request, "registration/locked_out.html", {"message": locked.message}, status=locked.status_code
        )
    response["Retry-After"] = str(locked.retry_after)
    return response


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshedSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(required=False, help_text="The rotated refresh token.")


@extend_schema_view(post=extend_schema(responses={200: TokenPairSerializer, **errors(400, 401, 429)}))
class TokenObtain(TokenObtainPairView):
    """A pair of tokens (access, refresh) for a username and password."""

    def post(self, request, *args, **kwargs):
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            # Axes marks the DRF request it was given, which its middleware
            # (looking at Django's request) does not see: answer here.
            if getattr(request, "axes_locked_out", False):
                raise locked_out(request) from None
            raise
        # simplejwt sends no user_logged_in, on which axes forgets a username's
        # failures: forget them here (those of other usernames from this address stay).
        from axes.utils import reset

        reset(username=request.data.get("username"))
        return response


@extend_schema_view(post=extend_schema(responses={200: RefreshedSerializer, **errors(400, 401)}))
class TokenRefresh(TokenRefreshView):
    """A new access token (and, rotated, a new refresh token) for a refresh token."""
