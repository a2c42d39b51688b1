"""Reads of the ledger (credits.selectors)."""

from __future__ import annotations

from credits.selectors import ledger_rows
from credits.services import credits_grant


def test_the_ledger_is_the_users_own_rows_newest_first(user, user_factory, settings):
    settings.MONTHLY_GRANT_CREDITS = 0
    first = credits_grant(user=user, amount=10, note="first", idempotency_key="a")
    second = credits_grant(user=user, amount=-3, note="second", idempotency_key="b")
    credits_grant(user=user_factory("bob"), amount=5, note="bob's", idempotency_key="c")

    assert list(ledger_rows(user=user)) == [second, first]
