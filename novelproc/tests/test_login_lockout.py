"""Brute-force protection on both login paths (django-axes): ten wrong
passwords lock the username and the address out; the right password then waits
until the lockout ends; staff can unlock from the admin."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def short_lockout(settings):
    settings.AXES_FAILURE_LIMIT = 10
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    return settings.AXES_COOLOFF_TIME


def token_attempt(username: str, password: str, ip: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(TOKEN, {"username": username, "password": password}, format="json")


def page_attempt(username: str, password: str, ip: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def test_ten_wrong_passwords_lock_the_token_endpoint_and_the_right_one_waits(user, short_lockout):
    statuses = [token_attempt(user.username, f"wrong-{n}").status_code for n in range(10)]
    assert statuses[:9] == [401] * 9 and statuses[9] == 429

    locked = token_attempt(user.username, user.raw_password)
    assert locked.status_code == 429 and locked.json()["error_code"] == "LOGIN_LOCKED"
    assert "paused" in locked.json()["error"] and 1 <= int(locked["Retry-After"]) <= 2
    # The username is locked from any address too.
    assert token_attempt(user.username, user.raw_password, ip="10.0.0.2").status_code == 429

    time.sleep(short_lockout.total_seconds() + 0.2)
    assert token_attempt(user.username, user.raw_password).status_code == 200


def test_an_address_guessing_many_usernames_is_locked_out_for_everyone_there(user, short_lockout):
    for n in range(10):
        token_attempt(f"guess-{n}", "whatever")

    assert token_attempt(user.username, user.raw_password).status_code == 429
    assert token_attempt(user.username, user.raw_password, ip="10.0.0.9").status_code == 200


def test_the_login_page_locks_out_with_a_clear_message(user, short_lockout):
    for n in range(9):
        assert page_attempt(user.username, f"wrong-{n}").status_code == 200  # the form again, with its error
    assert page_attempt(user.username, "wrong-9").status_code == 429

    locked = page_attempt(user.username, user.raw_password)
    assert locked.status_code == 429 and "Logins paused" in locked.content.decode()
    assert "sessionid" not in locked.cookies

    time.sleep(short_lockout.total_seconds() + 0.2)
    assert page_attempt(user.username, user.raw_password).status_code == 302


def test_a_success_before_the_limit_forgets_the_failures(user, short_lockout):
    for n in range(9):
        token_attempt(user.username, f"wrong-{n}")
    assert token_attempt(user.username, user.raw_password).status_code == 200
    assert token_attempt(user.username, "wrong-again").status_code == 401


def test_staff_unlock_from_the_admin(user, user_factory, settings):
    from axes.models import AccessAttempt

    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    for n in range(10):
        token_attempt(user.username, f"wrong-{n}")
    assert token_attempt(user.username, user.raw_password).status_code == 429

    admin = user_factory("operator")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    staff = Client()
    staff.force_login(admin)
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = staff.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )

    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert token_attempt(user.username, user.raw_password).status_code == 200
