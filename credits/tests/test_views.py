"""The credits page (credits.views): the balance, this month's grant, the ledger."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from credits.views import next_grant_date
from jobs.tests.factories import make_started_job


def test_the_credits_page_answers_its_user_and_sends_others_to_login(browser, db):
    assert browser.get("/credits/").status_code == 200
    response = Client().get("/credits/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/credits/"


def test_credits_page_shows_balance_reserved_grant_and_ledger(browser, user):
    make_started_job(user, reserve=150)

    body = browser.get("/credits/").content.decode()

    grant = settings.MONTHLY_GRANT_CREDITS
    assert re.search(rf'id="credit-balance">{grant - 150}<', body)
    assert re.search(r'id="credit-reserved">150<', body)
    assert re.search(rf'id="credit-month-grant">{grant}<', body)
    assert "-150" in body and f"+{grant}" in body


@pytest.mark.parametrize(
    ("today", "reset"),
    [
        (date(2026, 12, 15), date(2027, 1, 1)),
        (date(2026, 1, 31), date(2026, 2, 1)),
        (date(2026, 6, 1), date(2026, 7, 1)),
    ],
)
def test_the_next_grant_comes_on_the_first_of_next_month(today, reset):
    assert next_grant_date(today) == reset


def test_credits_page_names_the_next_grant_date(browser):
    reset = next_grant_date(timezone.now().date())

    body = browser.get("/credits/").content.decode()

    assert f'<time datetime="{reset:%Y-%m-%d}">' in body
