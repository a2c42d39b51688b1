"""The jobs' vocabulary and single-row rules (jobs.models)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from jobs.models import Job


def test_the_migrations_match_the_models(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sentence_length_limit", 2),
        ("sentence_length_limit", 51),
        ("min_sentence_length", 0),
        ("min_sentence_length", 11),
    ],
)
def test_the_database_refuses_settings_out_of_their_bounds(user, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(
            owner=user, original_filename="a.pdf", page_count=1, credit_rate=1, pricing_version="t", **{field: value}
        )
