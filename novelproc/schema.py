"""OpenAPI declarations shared by the API modules: the one error shape."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    error_code = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Field errors, for validation failures.")


_DESCRIPTIONS = {
    400: "Bad input",
    401: "Not authenticated",
    402: "Not enough credits",
    404: "No such job (or not yours), or no such page",
    406: "None of the accepted media types can be served",
    409: "Wrong state",
    410: "Results deleted after the retention period",
    413: "File too large",
    415: "Not a PDF",
    422: "Unreadable, encrypted or too many pages; an Idempotency-Key reused for another request",
    425: "Not finished yet",
    429: "Rate limited (Retry-After)",
    503: "Queue full (Retry-After)",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in codes}
