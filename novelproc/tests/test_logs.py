"""Request ids (novelproc.logs.RequestIdMiddleware) and the two log formats."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client

from novelproc import logs
from novelproc.logs import JsonFormatter, RequestIdFilter, RequestIdMiddleware

pytestmark = pytest.mark.first_pass

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def request_log():
    """What django.request writes, through the project's filter and JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_every_response_carries_a_fresh_request_id(db):
    first = Client().get("/login/")
    second = Client().get("/login/")

    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_an_incoming_request_id_is_honoured_and_logged(db, request_log):
    response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="lb-7f3a.42")

    assert response.status_code == 404 and response["X-Request-ID"] == "lb-7f3a.42"
    [line] = request_log()
    assert line["request_id"] == "lb-7f3a.42" and line["status_code"] == 404 and line["level"] == "WARNING"
    assert "Not Found: /no-such-page/" in line["message"]


def test_lines_logged_while_a_request_is_served_carry_its_id(rf, request_log):
    def view(request):
        logging.getLogger("django.request").warning("inside the view")
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(rf.get("/", HTTP_X_REQUEST_ID="abc"))

    assert response["X-Request-ID"] == "abc"
    assert [line["request_id"] for line in request_log()] == ["abc"]
    assert logs.REQUEST_ID.get() == "-"  # and no longer once it is answered


@pytest.mark.parametrize("forged", ["a\nINFO fake line", "x" * 200, "id with spaces"])
def test_an_unsafe_incoming_id_is_replaced(db, forged):
    response = Client().get("/login/", HTTP_X_REQUEST_ID=forged)

    assert response["X-Request-ID"] != forged and len(response["X-Request-ID"]) == 32


def test_json_lines_carry_the_exception():
    record = logging.LogRecord("jobs", logging.ERROR, __file__, 1, "chunk %s failed", (7,), None)
    try:
        raise ValueError("bad page")
    except ValueError:
        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "chunk 7 failed" and line["request_id"] == "-"
    assert "ValueError: bad page" in line["exception"] and line["time"].endswith("+00:00")


def log_one_line(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "LOG_FORMAT"}}
    code = "import django, logging; django.setup(); logging.getLogger('novelproc').warning('ready')"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "novelproc.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_log_format_json_writes_one_object_a_line(tmp_path):
    result = log_one_line(LOG_FORMAT="json", NOVELPROC_DATA_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "ready" and line["logger"] == "novelproc" and line["request_id"] == "-"


def test_text_logs_carry_the_request_id_too(tmp_path):
    result = log_one_line(NOVELPROC_DATA_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("WARNING novelproc [-] ready")


def test_an_unknown_log_format_fails_loudly(tmp_path):
    result = log_one_line(LOG_FORMAT="xml", NOVELPROC_DATA_DIR=str(tmp_path))

    assert result.returncode != 0 and "LOG_FORMAT must be one of text, json" in result.stderr
