"""Deploy settings from the environment: `check --deploy` is clean under PRODUCTION=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.first_pass

ROOT = Path(__file__).resolve().parents[2]
# What an operator sets in any deployment, whatever the switch.
DEPLOYMENT = {
    "SECRET_KEY": "k7#Vq2!xZp9@Lr4$Wm8^Tn3&Bc6*Hd1(Jf5)Gs0-Ya2+Ue7=Oi4",
    "ALLOWED_HOSTS": "novels.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith(("SECURE_", "PRODUCTION"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "novelproc.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return manage("check", "--deploy", "--fail-level", "WARNING", NOVELPROC_DATA_DIR=str(tmp_path), **DEPLOYMENT, **env)


def test_check_deploy_is_clean_under_the_production_switch(tmp_path):
    result = check_deploy(tmp_path, PRODUCTION="1")

    assert result.returncode == 0, result.stderr
    # Silenced: django-ratelimit's cache checks, each with its reason in settings.py.
    assert "System check identified no issues" in result.stdout


def test_without_the_switch_check_deploy_names_what_is_missing(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_each_deploy_setting_can_be_set_on_its_own(tmp_path):
    result = check_deploy(tmp_path, PRODUCTION="1", SECURE_HSTS_SECONDS="0", SESSION_COOKIE_SECURE="0")

    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W012" in result.stderr
    assert "security.W008" not in result.stderr


def print_setting(tmp_path, name: str, **env: str) -> str:
    code = f"from django.conf import settings; print(repr(settings.{name}))"
    result = manage("shell", "-c", code, NOVELPROC_DATA_DIR=str(tmp_path), **DEPLOYMENT, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_proxy_header_and_trusted_origins_come_from_the_environment(tmp_path):
    env = {"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https", "CSRF_TRUSTED_ORIGINS": "https://novels.example.org"}

    assert print_setting(tmp_path, "SECURE_PROXY_SSL_HEADER", **env) == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert print_setting(tmp_path, "CSRF_TRUSTED_ORIGINS", **env) == "['https://novels.example.org']"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRODUCTION": "1", "DEBUG": "1"}, "PRODUCTION=1 and DEBUG=1 exclude each other"),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "SECURE_PROXY_SSL_HEADER must be 'Header-Name,value'"),
    ],
)
def test_contradictory_deploy_settings_fail_loudly(tmp_path, env, message):
    result = manage("check", NOVELPROC_DATA_DIR=str(tmp_path), **DEPLOYMENT, **env)

    assert result.returncode != 0 and message in result.stderr
