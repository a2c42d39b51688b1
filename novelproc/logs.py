"""Request ids and the two log formats (text, or one JSON object a line).

Every request gets an id: the caller's `X-Request-ID` when it sends a sane
one (a proxy or load balancer that already tagged the request), a fresh one
otherwise. It is returned in the response's `X-Request-ID` and put on every
log record written while the request is served, so one request's lines can
be found among many processes' output.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

NO_REQUEST = "-"
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)
# An id from outside goes into every log line and back into a header: only
# short, plain ones are taken, so a caller cannot forge lines or headers.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if ACCEPTED_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record ("-" outside a request: workers, commands).

    Django logs a 4xx answer after the middleware has returned it, outside
    the request's context; its record carries the request itself, whose id
    the middleware kept on it."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (`LOG_FORMAT=json`)."""

    # Attributes some records carry that are worth a field of their own (django.request sets status_code).
    EXTRA = ("status_code",)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
            "process": record.process,
        }
        entry.update({name: getattr(record, name) for name in self.EXTRA if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
