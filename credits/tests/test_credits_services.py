import pytest
from django.db import IntegrityError, transaction

from credits.models import CreditLedger
from credits.pricing import credits_at
from credits.selectors import credit_balance, credit_summary, job_reserved_outstanding
from credits.services import (
    credits_ensure_monthly_grant,
    credits_grant,
    credits_release,
    credits_reserve,
    credits_settle,
)
from novelproc.errors import InsufficientCredits


@pytest.fixture
def job(user):
    from jobs.models import Job

    return Job.objects.create(owner=user, original_filename="a.pdf", page_count=10, pricing_version="t")


def test_monthly_grant_is_credited_once(user, settings):
    settings.MONTHLY_GRANT_CREDITS = 2000
    assert credits_ensure_monthly_grant(user=user) is True
    assert credits_ensure_monthly_grant(user=user) is False
    assert credit_balance(user=user) == 2000
    assert CreditLedger.objects.filter(user=user, kind="grant").count() == 1


def test_reserve_refuses_more_than_the_balance(user, job, settings):
    settings.MONTHLY_GRANT_CREDITS = 100
    with pytest.raises(InsufficientCredits):
        credits_reserve(user=user, job=job, amount=101, idempotency_key="k1")
    assert credits_reserve(user=user, job=job, amount=100, idempotency_key="k2") == 0
    assert credit_balance(user=user) == 0


def test_settle_charges_at_most_the_reservation_and_releases_the_rest(user, job, settings):
    settings.MONTHLY_GRANT_CREDITS = 500
    credits_reserve(user=user, job=job, amount=80, idempotency_key="r")
    charged, released = credits_settle(user=user, job=job, charge=1000, key_prefix="job:1:r1")
    assert (charged, released) == (80, 0)
    summary = credit_summary(user=user)
    assert summary.balance == 420 and summary.used == 80 and summary.reserved == 0


def test_settle_with_less_work_releases_the_difference(user, job, settings):
    settings.MONTHLY_GRANT_CREDITS = 500
    credits_reserve(user=user, job=job, amount=80, idempotency_key="r")
    assert credits_settle(user=user, job=job, charge=30, key_prefix="p") == (30, 50)
    assert credit_balance(user=user) == 470


def test_a_settlement_cannot_happen_twice_with_the_same_key(user, job, settings):
    settings.MONTHLY_GRANT_CREDITS = 500
    credits_reserve(user=user, job=job, amount=80, idempotency_key="r")
    credits_settle(user=user, job=job, charge=30, key_prefix="p")
    credits_reserve(user=user, job=job, amount=10, idempotency_key="r2")
    with pytest.raises(IntegrityError):
        credits_settle(user=user, job=job, charge=5, key_prefix="p")


def test_the_database_refuses_a_charge_with_the_wrong_sign(user, job):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditLedger.objects.create(user=user, job=job, amount=+5, kind="charge", idempotency_key="bad")


def test_the_database_refuses_a_reservation_without_a_job(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditLedger.objects.create(user=user, amount=-5, kind="reserve", idempotency_key="bad2")


def test_operator_grant_and_adjustment(user, settings):
    settings.MONTHLY_GRANT_CREDITS = 0
    credits_grant(user=user, amount=50, note="gift", idempotency_key="g1")
    credits_grant(user=user, amount=-20, note="correction", idempotency_key="g2")
    assert credit_balance(user=user) == 30


@pytest.mark.parametrize(
    ("usage", "rates", "expected"),
    [
        ((0, 0), (2, 2), 0),
        ((1, 0), (0.1, 2), 1),  # any work costs at least one credit
        ((1000, 1000), (0.25, 1.5), 2),
        ((1000, 1001), (0.25, 1.5), 2),
        ((4000, 1000), (0.25, 1.5), 3),  # 1 + 1.5, rounded up
        ((100_000, 0), (1, 8), 100),
        ((0, 100_000), (1, 8), 800),  # output at its own, dearer rate
    ],
)
def test_credits_at_bills_each_side_at_its_rate(usage, rates, expected):
    assert (
        credits_at(
            dict(zip(("input", "output"), usage, strict=True)), dict(zip(("input", "output"), rates, strict=True))
        )
        == expected
    )


def test_a_release_gives_back_at_most_what_the_job_holds_once(user, job):
    credits_reserve(user=user, job=job, amount=100, idempotency_key="r")
    assert credits_release(user=user, job=job, amount=30, idempotency_key="x") == 30
    with pytest.raises(IntegrityError), transaction.atomic():
        credits_release(user=user, job=job, amount=10, idempotency_key="x")  # the same release twice
    assert credits_release(user=user, job=job, amount=500, idempotency_key="y") == 70
    assert job_reserved_outstanding(job=job) == 0 and credit_balance(user=user) == 2000


def test_the_credits_read_credits_this_months_grant_once(user, settings):
    from credits.services import credits_current

    settings.MONTHLY_GRANT_CREDITS = 300

    assert credits_current(user=user).balance == 300 == credits_current(user=user).granted
    assert CreditLedger.objects.filter(user=user, kind="grant").count() == 1


def test_the_grant_is_credited_only_by_the_credits_read_and_the_reservation():
    import ast

    from novelproc.tests.test_imports import project_modules

    callers = set()
    for module, path in project_modules().items():
        if ".tests" in module:
            continue
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, ast.FunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Name) and node.id == "credits_ensure_monthly_grant":
                        callers.add(f"{module}.{function.name}")
    assert callers == {"credits.services.credits_current", "credits.services.credits_reserve"}
