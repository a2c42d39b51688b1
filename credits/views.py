"""The credits page (SPEC §6): the balance, this month's grant and the ledger."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from credits.selectors import ledger_rows, monthly_grant
from credits.services import credits_current


def next_grant_date(today: date) -> date:
    """Monthly grants are credited per calendar month (UTC): the next one is the 1st."""
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


@login_required
def credits_page(request: HttpRequest) -> HttpResponse:
    summary = credits_current(user=request.user)
    # The grant's own ledger key says whether this month's grant was credited.
    grant = monthly_grant(user=request.user, when=timezone.now())
    return render(
        request,
        "credits/credits.html",
        {
            "summary": summary,
            "month_grant": grant.amount if grant else 0,
            "monthly_grant": settings.MONTHLY_GRANT_CREDITS,
            "next_reset": next_grant_date(timezone.now().date()),
            "page": Paginator(ledger_rows(user=request.user), 50).get_page(request.GET.get("page")),
        },
    )
