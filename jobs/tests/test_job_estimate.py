"""services.job_estimate: what a book would cost, with no side effects."""

from __future__ import annotations

import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile

from credits.models import CreditLedger
from credits.pricing import credits_for_tokens
from jobs import services
from jobs.models import Job
from jobs.pipeline.pdf import inspect_pdf


def test_the_estimate_reckons_the_book_as_its_start_will_and_creates_nothing(
    user, story_pdf, settings, tmp_path, monkeypatch
):
    path = story_pdf(40)
    upload = SimpleUploadedFile("s.pdf", path.read_bytes(), content_type="application/pdf")
    copies = tmp_path / "copies"
    copies.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(copies))

    estimate = services.job_estimate(user=user, upload=upload, model_preference="speed")

    info = inspect_pdf(path, max_pages=settings.MAX_PDF_PAGES)
    tokens = services.start_estimate_tokens(info=info, engine=estimate.engine)
    assert (estimate.page_count, estimate.plan.total_chunks, estimate.estimated_tokens) == (40, 2, tokens)
    assert estimate.estimated_credits == credits_for_tokens(tokens, estimate.credit_rate) > 0
    assert estimate.balance == settings.MONTHLY_GRANT_CREDITS  # the credits read credited this month's grant
    assert estimate.balance_after == estimate.balance - estimate.estimated_credits
    assert not Job.objects.exists() and not CreditLedger.objects.exclude(kind="grant").exists()
    assert list(copies.iterdir()) == []  # the copy is gone
