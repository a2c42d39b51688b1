"""Reservations under real concurrency: PostgreSQL row locks, many threads."""

import threading

import pytest
from django.db import connection

from credits.models import CreditLedger
from credits.selectors import credit_balance
from jobs import services
from jobs.models import Job
from jobs.types import ProcessingSettings
from novelproc.errors import InsufficientCredits


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_confirms_never_overdraw(user, settings):
    settings.MONTHLY_GRANT_CREDITS = 2000
    settings.MAX_ACTIVE_JOBS_PER_USER = 100
    settings.CREDIT_RATE_LOCAL = 1.0
    # 400 pages × 900 tokens × rate 1 / 1000 = 360 credits: 2000 covers exactly 5.
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def confirm(i: int) -> None:
        try:
            barrier.wait()
            services.job_confirm(
                user=user,
                original_filename=f"b{i}.pdf",
                page_count=400,
                model_preference="speed",
                processing=ProcessingSettings(),
            )
            result = "ok"
        except InsufficientCredits:
            result = "402"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["402"] * 15 + ["ok"] * 5
    assert Job.objects.filter(owner=user).count() == 5
    balance = credit_balance(user=user)
    assert balance == 2000 - 5 * 360 == sum(CreditLedger.objects.filter(user=user).values_list("amount", flat=True))
    # The running balance, row by row in ledger order, never went below zero.
    running = 0
    for amount in CreditLedger.objects.filter(user=user).order_by("created_at", "id").values_list("amount", flat=True):
        running += amount
        assert running >= 0
    assert CreditLedger.objects.filter(user=user, kind="grant").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_confirms_with_one_idempotency_key_reserve_once(user, settings):
    settings.MONTHLY_GRANT_CREDITS = 2000
    barrier = threading.Barrier(8)
    job_ids = []

    def confirm() -> None:
        barrier.wait()
        job, _, _ = services.job_confirm(
            user=user,
            original_filename="b.pdf",
            page_count=100,
            model_preference="speed",
            processing=ProcessingSettings(),
            idempotency_key="same-key",
        )
        job_ids.append(job.pk)
        connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(job_ids)) == 1 and len(job_ids) == 8
    assert CreditLedger.objects.filter(user=user, kind="reserve").count() == 1
