"""The jobs' vocabulary and single-row rules (jobs.models)."""

from __future__ import annotations

import ast
import uuid

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.models import CHUNK_DONE_STATUSES, CHUNK_TRANSITIONS, JOB_TRANSITIONS, Chunk, ChunkStatus, Job, JobStatus
from jobs.tests.factories import make_chunk, make_job


def test_the_migrations_match_the_models(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sentence_length_limit", 2),
        ("sentence_length_limit", 51),
        ("min_sentence_length", 0),
        ("min_sentence_length", 11),
        ("rewrite", "shorten"),
    ],
)
def test_the_database_refuses_settings_out_of_their_bounds(user, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(owner=user, original_filename="a.pdf", page_count=1, pricing_version="t", **{field: value})


def test_every_chunk_status_has_its_transitions_and_done_chunks_stay_done():
    assert set(CHUNK_TRANSITIONS) == set(ChunkStatus.values)
    assert CHUNK_TRANSITIONS[ChunkStatus.SUCCEEDED] == CHUNK_TRANSITIONS[ChunkStatus.CANCELLED] == set()
    assert CHUNK_TRANSITIONS[ChunkStatus.FAILED] == {ChunkStatus.PENDING}  # retrying a finished job's failed chunks
    assert set(JOB_TRANSITIONS) == set(JobStatus.values) and JOB_TRANSITIONS[JobStatus.CANCELLED] == set()


@pytest.mark.parametrize("to", ChunkStatus.values)
def test_a_chunk_moves_only_where_the_table_allows(user, to):
    from jobs.services import _move_chunks

    job = make_job(user, chunks=len(ChunkStatus.values))
    chunks = {status: make_chunk(job, index, status) for index, status in enumerate(ChunkStatus.values)}

    # A running chunk holds a claim and a lease (a check constraint says so).
    claim = {"claim_token": uuid.uuid4(), "lease_expires_at": timezone.now()} if to == ChunkStatus.RUNNING else {}
    for status, chunk in chunks.items():
        moved = _move_chunks(Chunk.objects.filter(pk=chunk.pk), to, **claim)
        chunk.refresh_from_db()
        assert moved == (to in CHUNK_TRANSITIONS[status]), (status, to)
        assert chunk.status == (to if moved else status)
        if moved and to != ChunkStatus.RUNNING:
            assert chunk.lease_expires_at is None and chunk.call_slot_since is None
        if moved and to in CHUNK_DONE_STATUSES:
            assert chunk.finished_at is not None


def test_no_code_but_the_one_helper_writes_a_chunk_status():
    """Every chunk status move goes through services._move_chunks (which
    writes `status=to`): no `status=ChunkStatus.…` in an update, no assignment."""
    from novelproc.tests.test_imports import project_modules

    writes = []
    for module, path in project_modules().items():
        if ".tests" in module or ".migrations" in module:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
                values = [k.value for k in node.keywords if k.arg == "status"]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "status" for t in node.targets
            ):
                values = [node.value]
            writes += [
                f"{module}:{node.lineno}"
                for value in values
                if isinstance(value, ast.Attribute)
                and isinstance(value.value, ast.Name)
                and value.value.id == "ChunkStatus"
            ]
    assert writes == []
