"""The credit ledger: append-only rows whose sum is a user's balance."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Account(models.Model):
    """One row per user, locked (`select_for_update`) by every movement of that
    user's credits, so concurrent reservations queue instead of overdrawing.
    It stores no balance: the ledger is the only truth."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="credit_account"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"account of {self.user}"


class CreditLedger(models.Model):
    class Kind(models.TextChoices):
        GRANT = "grant"
        RESERVE = "reserve"
        RELEASE = "release"
        CHARGE = "charge"
        REFUND = "refund"
        ADJUSTMENT = "adjustment"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_rows")
    amount = models.IntegerField(help_text="Signed credits: positive adds to the balance.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_rows")
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The sign of each kind is part of its meaning.
            models.CheckConstraint(
                name="ledger_sign_matches_kind",
                condition=(
                    Q(kind__in=["grant", "release", "refund"], amount__gte=0)
                    | Q(kind__in=["reserve", "charge"], amount__lte=0)
                    | Q(kind="adjustment")
                ),
            ),
            models.CheckConstraint(
                name="ledger_job_rows_have_job", condition=Q(kind__in=["grant", "adjustment"]) | Q(job__isnull=False)
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} for {self.user}"

    @staticmethod
    def monthly_grant_key(user, when) -> str:
        """The idempotency key of a user's grant for the month of `when`: once per month, by the unique key."""
        return f"grant:{user.pk}:{when:%Y-%m}"
