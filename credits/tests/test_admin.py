"""The credits admin (credits.admin): the grant action on users."""

from __future__ import annotations

from credits.models import CreditLedger
from credits.selectors import credit_balance
from credits.services import credits_ensure_monthly_grant


def test_admin_grant_action_asks_for_an_amount_then_adds_a_ledger_row(admin_client, user):
    credits_ensure_monthly_grant(user=user)
    before = credit_balance(user=user)
    asked = admin_client.post("/admin/auth/user/", {"action": "grant_credits", "_selected_action": [user.pk]})
    assert asked.status_code == 200 and b'name="amount"' in asked.content
    batch = asked.context["form"]["batch"].value()

    form = {
        "action": "grant_credits",
        "_selected_action": [user.pk],
        "apply": "1",
        "amount": "250",
        "note": "Bonus",
        "batch": str(batch),
    }
    done = admin_client.post("/admin/auth/user/", form)
    again = admin_client.post("/admin/auth/user/", form)  # the same page sent twice grants once

    assert done.status_code == 302 and again.status_code == 302
    assert credit_balance(user=user) == before + 250
    row = CreditLedger.objects.get(user=user, note="Bonus")
    assert row.kind == CreditLedger.Kind.GRANT and row.amount == 250


def test_admin_grant_action_refuses_zero(admin_client, user):
    response = admin_client.post(
        "/admin/auth/user/",
        {
            "action": "grant_credits",
            "_selected_action": [user.pk],
            "apply": "1",
            "amount": "0",
            "note": "x",
            "batch": "4f1c0a52-2f7e-4e64-8a55-2b2e7b8a1d11",
        },
    )

    assert response.status_code == 200 and b"other than 0" in response.content
    assert not CreditLedger.objects.filter(user=user, note="x").exists()
