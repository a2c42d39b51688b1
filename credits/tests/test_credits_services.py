import pytest
from django.db import IntegrityError, transaction

from credits.models import CreditLedger
from credits.pricing import credits_for_tokens
from credits.selectors import credit_balance, credit_summary
from credits.services import credits_ensure_monthly_grant, credits_grant, credits_reserve, credits_settle
from novelproc.errors import InsufficientCredits


@pytest.fixture
def job(user):
    from jobs.models import Job

    return Job.objects.create(
        owner=user, original_filename="a.pdf", page_count=10, credit_rate=1.0, pricing_version="t"
    )


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
    ("tokens", "rate", "expected"), [(0, 2, 0), (1, 2, 1), (1000, 2, 2), (1001, 2, 3), (2500, 3, 8), (100_000, 1, 100)]
)
def test_credits_for_tokens(tokens, rate, expected):
    assert credits_for_tokens(tokens, rate) == expected


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
