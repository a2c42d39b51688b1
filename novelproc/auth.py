"""The token endpoints, with the statuses they really answer in the schema."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from novelproc.schema import errors


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshedSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(required=False, help_text="The rotated refresh token.")


@extend_schema_view(post=extend_schema(responses={200: TokenPairSerializer, **errors(400, 401)}))
class TokenObtain(TokenObtainPairView):
    """A pair of tokens (access, refresh) for a username and password."""


@extend_schema_view(post=extend_schema(responses={200: RefreshedSerializer, **errors(400, 401)}))
class TokenRefresh(TokenRefreshView):
    """A new access token (and, rotated, a new refresh token) for a refresh token."""
