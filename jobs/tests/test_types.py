"""The shared value types (jobs.types), and the processing settings' ranges
and defaults, written there once and followed everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory

from jobs.models import Job
from jobs.serializers import ProcessingSettingsSerializer
from jobs.types import MIN_LENGTH, SENTENCE_LIMIT, ProcessingSettings

pytestmark = pytest.mark.first_pass

ROOT = Path(__file__).resolve().parents[2]


def test_processing_settings_round_trip_through_job_fields():
    chosen = ProcessingSettings(sentence_length_limit=12, min_sentence_length=3, ignore_dialogue=True, rewrite="split")

    assert ProcessingSettings.from_job(Job(**chosen.as_fields())) == chosen
    assert ProcessingSettings.names() == tuple(chosen.as_fields())
    assert (ProcessingSettings().sentence_length_limit, ProcessingSettings().min_sentence_length) == (8, 2)


def test_bounds_hold_their_ends_and_nothing_else():
    assert (SENTENCE_LIMIT.low, SENTENCE_LIMIT.high, MIN_LENGTH.low, MIN_LENGTH.high) == (3, 50, 1, 10)
    assert 3 in SENTENCE_LIMIT and 50 in SENTENCE_LIMIT
    assert 2 not in SENTENCE_LIMIT and 51 not in SENTENCE_LIMIT and "8" not in SENTENCE_LIMIT


def render_upload_page() -> str:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return render_to_string("jobs/upload.html", {"processing": ProcessingSettings()}, request=request)


def accepts(limit: int) -> bool:
    return ProcessingSettingsSerializer(data={"sentence_length_limit": limit}).is_valid()


def test_the_serializer_the_model_and_the_page_use_the_bounds():
    constraint = next(c for c in Job._meta.constraints if c.name == "job_sentence_limit_range")
    page = render_upload_page()

    assert (accepts(3), accepts(50), accepts(2), accepts(51)) == (True, True, False, False)
    assert dict(constraint.condition.children) == {"sentence_length_limit__gte": 3, "sentence_length_limit__lte": 50}
    assert 'min="3" max="50" value="8"' in page and "3 to 50; 8 suits most learners." in page
    assert 'min="1" max="10"' in page and "1 to 10; shorter pieces are dropped." in page


# In a fresh interpreter, SENTENCE_LIMIT's upper end is changed before Django
# loads anything; everything that reads the range must follow.
WIDER_LIMIT = """
import dataclasses, json
from jobs import types
types.SENTENCE_LIMIT = dataclasses.replace(types.SENTENCE_LIMIT, high=60)

import django
django.setup()
from django.core.management import call_command
from jobs.management.commands.process_pdf import Command as ProcessPdf
from jobs.models import Job
from jobs.tests.test_types import accepts, render_upload_page

constraint = next(c for c in Job._meta.constraints if c.name == "job_sentence_limit_range")
try:
    call_command("makemigrations", "jobs", "--check", "--dry-run", verbosity=0)
    migration_needed = False
except SystemExit:
    migration_needed = True
print(json.dumps({
    "serializer": [accepts(60), accepts(61)],
    "constraint": dict(constraint.condition.children),
    "migration_needed": migration_needed,
    "page": render_upload_page(),
    "process_pdf_help": ProcessPdf().create_parser("manage.py", "process_pdf").format_help(),
}))
"""


def test_changing_a_bound_is_followed_by_the_serializer_the_constraint_and_the_page():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "novelproc.test_settings"
    done = subprocess.run(
        [sys.executable, "-c", WIDER_LIMIT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    followed = json.loads(done.stdout.strip().splitlines()[-1])

    assert followed["serializer"] == [True, False]
    assert followed["constraint"] == {"sentence_length_limit__gte": 3, "sentence_length_limit__lte": 60}
    assert followed["migration_needed"]  # the database's constraint follows with the next migration
    assert 'min="3" max="60"' in followed["page"] and "3 to 60; 8 suits most learners." in followed["page"]
    assert "(3-60)" in followed["process_pdf_help"]
