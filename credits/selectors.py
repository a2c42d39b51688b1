from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Abs, Coalesce

from credits.models import CreditLedger

_K = CreditLedger.Kind


@dataclass(frozen=True)
class CreditSummary:
    balance: int
    granted: int
    used: int
    refunded: int
    reserved: int


def _sum(condition: Q | None = None):
    return Coalesce(Sum("amount", filter=condition), 0)


def monthly_grant(*, user, when) -> CreditLedger | None:
    """This month's grant row, if it was credited."""
    return CreditLedger.objects.filter(
        user=user, kind=_K.GRANT, idempotency_key=CreditLedger.monthly_grant_key(user, when)
    ).first()


def ledger_rows(*, user) -> QuerySet[CreditLedger]:
    """The user's ledger, newest first, with the book each row belongs to."""
    return (
        CreditLedger.objects.filter(user=user)
        .select_related("job")
        .defer("job__sentences")
        .order_by("-created_at", "-id")
    )


def credit_balance(*, user) -> int:
    return CreditLedger.objects.filter(user=user).aggregate(total=_sum())["total"]


def credit_summary(*, user) -> CreditSummary:
    totals = CreditLedger.objects.filter(user=user).aggregate(
        balance=_sum(),
        granted=_sum(Q(kind__in=[_K.GRANT, _K.ADJUSTMENT])),
        charged=_sum(Q(kind=_K.CHARGE)),
        refunded=_sum(Q(kind=_K.REFUND)),
        held=_sum(Q(kind__in=[_K.RESERVE, _K.RELEASE])),
    )
    return CreditSummary(
        balance=totals["balance"],
        granted=totals["granted"],
        used=-totals["charged"],
        refunded=totals["refunded"],
        reserved=-totals["held"],
    )


def job_reserved_outstanding(*, job) -> int:
    """Credits reserved for `job` and not yet released."""
    held = CreditLedger.objects.filter(job=job, kind__in=[_K.RESERVE, _K.RELEASE]).aggregate(total=_sum())["total"]
    return -held


def job_charged(*, job) -> int:
    return -CreditLedger.objects.filter(job=job, kind=_K.CHARGE).aggregate(total=_sum())["total"]


def ledger_totals_by_kind() -> dict[str, int]:
    """Credits moved by each kind of ledger row, as positive amounts. The
    ledger is append-only, so each total only grows (/metrics counts them)."""
    return dict(
        CreditLedger.objects.order_by()
        .values_list("kind")
        .annotate(total=Sum(Abs("amount")))
        .values_list("kind", "total")
    )
