"""Every movement of credits: one function each, each appending ledger rows.

Lock order, everywhere: the Job row first (when there is one), then the user's
Account row. Every movement locks the Account, so two movements of one user
never interleave, and a reservation sees every row written before it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from credits.models import Account, CreditLedger
from credits.selectors import CreditSummary, credit_balance, credit_summary, job_reserved_outstanding
from novelproc.errors import InsufficientCredits

_K = CreditLedger.Kind


def lock_account(user) -> Account:
    Account.objects.get_or_create(user=user)
    return Account.objects.select_for_update().get(user=user)


@transaction.atomic
def credits_ensure_monthly_grant(*, user) -> bool:
    """Credit this month's grant once; True if this call credited it.

    The unique idempotency key makes it once per user per month even when two
    processes race here; the loser's insert fails inside its own savepoint."""
    amount = settings.MONTHLY_GRANT_CREDITS
    if amount <= 0:
        return False
    key = CreditLedger.monthly_grant_key(user, timezone.now())
    if CreditLedger.objects.filter(idempotency_key=key).exists():
        return False
    try:
        with transaction.atomic():
            CreditLedger.objects.create(
                user=user,
                amount=amount,
                kind=_K.GRANT,
                idempotency_key=key,
                note=f"Monthly grant {timezone.now():%Y-%m}",
            )
    except IntegrityError:
        return False
    return True


def credits_current(*, user) -> CreditSummary:
    """The user's credits as they stand: what every page and endpoint that
    shows them reads. This month's grant is credited first, lazily, here and on
    the way to a reservation (`credits_reserve`) only."""
    credits_ensure_monthly_grant(user=user)
    return credit_summary(user=user)


@transaction.atomic
def credits_grant(*, user, amount: int, note: str, idempotency_key: str) -> CreditLedger:
    """An operator's grant (positive) or correction (negative)."""
    lock_account(user)
    kind = _K.GRANT if amount >= 0 else _K.ADJUSTMENT
    return CreditLedger.objects.create(
        user=user, amount=amount, kind=kind, idempotency_key=idempotency_key, note=note[:255]
    )


@transaction.atomic
def credits_reserve(*, user, job, amount: int, idempotency_key: str, note: str = "") -> int:
    """Hold `amount` credits for `job`; raises InsufficientCredits. Returns the new balance."""
    lock_account(user)
    credits_ensure_monthly_grant(user=user)
    balance = credit_balance(user=user)
    if amount > balance:
        raise InsufficientCredits(f"This job needs {amount} credits; your balance is {balance}.")
    if amount > 0:
        CreditLedger.objects.create(
            user=user, job=job, amount=-amount, kind=_K.RESERVE, idempotency_key=idempotency_key, note=note
        )
    return balance - amount


@transaction.atomic
def credits_release(*, user, job, amount: int, idempotency_key: str, note: str = "") -> int:
    """Give back `amount` of what `job` holds (never more than it holds). Returns what was released."""
    lock_account(user)
    amount = min(amount, job_reserved_outstanding(job=job))
    if amount > 0:
        CreditLedger.objects.create(
            user=user, job=job, amount=amount, kind=_K.RELEASE, idempotency_key=idempotency_key, note=note
        )
    return max(0, amount)


@transaction.atomic
def credits_settle(*, user, job, charge: int, key_prefix: str) -> tuple[int, int]:
    """Release everything reserved for `job`, charge `charge` (never more than
    was reserved). Returns (charged, released). Keys make a second settlement
    with the same prefix impossible."""
    lock_account(user)
    outstanding = job_reserved_outstanding(job=job)
    charged = max(0, min(charge, outstanding))
    if outstanding > 0:
        CreditLedger.objects.create(
            user=user,
            job=job,
            amount=outstanding,
            kind=_K.RELEASE,
            idempotency_key=f"{key_prefix}:release",
            note="Reservation released",
        )
    if charged > 0:
        CreditLedger.objects.create(
            user=user,
            job=job,
            amount=-charged,
            kind=_K.CHARGE,
            idempotency_key=f"{key_prefix}:charge",
            note="Work done",
        )
    return charged, outstanding - charged
