"""Domain errors and the one JSON error shape: {"error": message, "error_code": CODE}.

Services raise `DomainError` subclasses; they know nothing of HTTP beyond the
status their error deserves. One exception handler turns them, DRF's own
exceptions and django-ratelimit's refusals into the same shape.
"""

from __future__ import annotations

import logging
import math

from django.core.exceptions import PermissionDenied
from django.http import Http404
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

# What Redis (cache, broker, channel layer) raises while it is down or restarting.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


class DomainError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    error_code = "BAD_REQUEST"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, error_code: str | None = None, status_code: int | None = None):
        self.message = message or self.default_message
        if error_code:
            self.error_code = error_code
        if status_code:
            self.status_code = status_code
        super().__init__(self.message)


class JobNotFound(DomainError):
    """No such job for this user: other users' jobs, and deleted ones, do not exist for them."""

    status_code = status.HTTP_404_NOT_FOUND
    error_code = "NOT_FOUND"
    default_message = "No such job."


class UserInactive(drf_exceptions.AuthenticationFailed):
    """The token's user was deactivated after the token was issued: simplejwt's
    own refusal, for a read that checks the user in its own query. DRF's,
    so that it answers as every 401 does (WWW-Authenticate included)."""

    default_detail = "User is inactive"
    default_code = "user_inactive"


class InsufficientCredits(DomainError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    error_code = "INSUFFICIENT_CREDITS"
    default_message = "Your credit balance does not cover this job."


class InvalidTransition(DomainError):
    status_code = status.HTTP_409_CONFLICT
    error_code = "INVALID_STATE"
    default_message = "The job is not in a state that allows this."


class NotReady(DomainError):
    status_code = 425
    error_code = "NOT_READY"
    default_message = "The job has not finished yet."


class ResultsExpired(DomainError):
    status_code = status.HTTP_410_GONE
    error_code = "RESULTS_EXPIRED"
    default_message = "The sentences of this job were deleted after the retention period (RESULT_RETENTION_DAYS)."


class IdempotencyKeyReused(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    error_code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This Idempotency-Key was already used for a different request; use a new key."


class TooManyActiveJobs(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    error_code = "TOO_MANY_ACTIVE_JOBS"
    default_message = "You already have the maximum number of active jobs."
    retry_after = 60


class QueueFull(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    error_code = "QUEUE_FULL"
    default_message = "The processing queue is full; try again in a few minutes."
    retry_after = 120


class ServiceUnavailable(DomainError):
    """A part the request needs (Redis) is not answering: try again shortly, nothing was changed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    error_code = "SERVICE_UNAVAILABLE"
    default_message = "A part of the service is not answering; try again in a few seconds."
    retry_after = 5


class RateLimited(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    error_code = "RATE_LIMITED"
    default_message = "Too many requests; try again later."

    def __init__(self, retry_after: int, message: str | None = None):
        self.retry_after = max(1, int(math.ceil(retry_after)))
        super().__init__(message or f"Too many requests; try again in {self.retry_after} seconds.")


class LoginLocked(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    error_code = "LOGIN_LOCKED"

    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(
            "Too many failed logins for this account or from this address: logins are paused for"
            f" {minutes} more minute{'s' if minutes > 1 else ''} (Retry-After), the right password included."
            " An administrator can unlock it sooner."
        )


class BadFile(DomainError):
    """A PDF refused at estimate/start; status and code come from the pipeline."""


_DRF_CODES = {
    status.HTTP_400_BAD_REQUEST: "VALIDATION_ERROR",
    status.HTTP_401_UNAUTHORIZED: "NOT_AUTHENTICATED",
    status.HTTP_403_FORBIDDEN: "FORBIDDEN",
    status.HTTP_404_NOT_FOUND: "NOT_FOUND",
    status.HTTP_405_METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
    status.HTTP_406_NOT_ACCEPTABLE: "NOT_ACCEPTABLE",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "FILE_TOO_LARGE",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
    status.HTTP_429_TOO_MANY_REQUESTS: "RATE_LIMITED",
}


def error_body(message: str, code: str, **extra) -> dict:
    return {"error": message, "error_code": code, **extra}


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _first_message(value)
            return text if key == "non_field_errors" else f"{key}: {text}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        response = Response(error_body(exc.message, exc.error_code), status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, REDIS_DOWN):
        logger.warning("Redis is not answering (%s): 503", exc)
        return exception_handler(ServiceUnavailable(), context)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view"))
        return Response(error_body("Internal error.", "INTERNAL_ERROR"), status=500)
    code = _DRF_CODES.get(response.status_code, "ERROR")
    if isinstance(exc, drf_exceptions.ValidationError):
        body = error_body(_first_message(exc.detail), code, fields=exc.detail)
    else:
        body = error_body(_first_message(getattr(exc, "detail", str(exc))), code)
    response.data = body
    return response
