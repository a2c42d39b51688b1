"""`manage.py process_pdf` goes through confirm/start and a real cluster."""

import csv
import html
import subprocess
import sys

import pytest

from credits.models import CreditLedger
from jobs.models import Job
from jobs.pipeline.words import count_words
from jobs.tests.live import ROOT, cluster_env

pytestmark = [pytest.mark.first_pass, pytest.mark.e2e, pytest.mark.timeout(300)]


def test_process_pdf_prints_progress_and_writes_the_sentences(transactional_db, user, story_pdf, tmp_path):
    out = tmp_path / "sentences.csv"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "process_pdf",
            str(story_pdf(45)),
            "--user",
            user.username,
            "--limit",
            "6",
            "--model",
            "speed",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=cluster_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "starting `manage.py qcluster`" in result.stdout and "100%" in result.stdout and "3/3 chunks" in result.stdout
    )
    job = Job.objects.get(owner=user)
    assert job.status == "completed" and job.sentence_length_limit == 6 and job.model_preference == "speed"
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["Index", "Sentence", "Chapter"] and [row[1] for row in rows[1:]] == job.sentences
    assert all(count_words(sentence) <= 6 for sentence in job.sentences)
    assert CreditLedger.objects.filter(job=job, kind="charge").count() == 1


def test_process_pdf_refuses_a_bad_file_clearly(transactional_db, user, tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "process_pdf", str(bad), "--user", user.username],
        cwd=ROOT,
        env=cluster_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "NOT_A_PDF" in result.stderr
    assert not Job.objects.exists()


def test_process_pdf_writes_an_anki_deck(transactional_db, user, story_pdf, tmp_path):
    from jobs.tests.apkg import read_apkg

    out = tmp_path / "deck.apkg"
    command = [sys.executable, str(ROOT / "manage.py"), "process_pdf", str(story_pdf(12)), "--user", user.username]
    result = subprocess.run(
        [*command, "--out", str(out)], cwd=ROOT, env=cluster_env(), capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Wrote {out}" in result.stdout
    job = Job.objects.get(owner=user)
    notes = read_apkg(out.read_bytes()).notes
    assert [note.fields[0] for note in notes] == [html.escape(s) for s in job.sentences if s]
    assert [note.fields[3] for note in notes] == [str(i) for i in range(1, len(notes) + 1)]
