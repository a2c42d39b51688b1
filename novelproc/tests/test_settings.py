"""Settings come from the environment and refuse bad values at start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.first_pass

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    code = "import django; from django.conf import settings; django.setup(); print(settings.DATABASES['default']['ENGINE'], settings.Q_CLUSTER.get('orm', 'redis'), settings.CACHES['default']['BACKEND'], settings.Q_CLUSTER['workers'])"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "novelproc.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_variables_means_the_embedded_default(tmp_path):
    result = load_settings(DEBUG="1", NOVELPROC_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "default",
        "django.core.cache.backends.locmem.LocMemCache",
        "2",
    ]


def test_database_and_redis_urls_switch_to_postgres_and_redis(tmp_path):
    result = load_settings(
        DEBUG="1", DATABASE_URL="postgres://u@127.0.0.1:5432/x", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis",
        "django.core.cache.backends.redis.RedisCache",
        "2",
    ]


@pytest.mark.parametrize(
    ("env", "workers"), [({"GEMINI_API_KEY": "k"}, "7"), ({"GEMINI_API_KEY": "k", "Q_WORKERS": "3"}, "3")]
)
def test_a_gemini_key_means_workers_for_its_calls_and_read_ahead(env, workers, tmp_path):
    result = load_settings(DEBUG="1", NOVELPROC_DATA_DIR=str(tmp_path), **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == workers


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "1", "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL must start with"),
        ({"DEBUG": "1", "REDIS_URL": "http://h"}, "REDIS_URL must start with"),
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"DEBUG": "1", "Q_WORKERS": "two"}, "Q_WORKERS must be an integer"),
        ({"DEBUG": "1", "CHUNK_LEASE_SECONDS": "1"}, "CHUNK_LEASE_SECONDS must be >= 5"),
        (
            {"DEBUG": "1", "GEMINI_API_KEY": "k", "GEMINI_TIMEOUT": "60", "CHUNK_LEASE_SECONDS": "119"},
            "CHUNK_LEASE_SECONDS (119) must be at least twice GEMINI_TIMEOUT (60)",
        ),
        (
            {"DEBUG": "1", "GEMINI_API_KEY": "k", "GEMINI_FLEX_TIMEOUT": "400", "CHUNK_LEASE_FLEX_SECONDS": "799"},
            "CHUNK_LEASE_FLEX_SECONDS (799) must be at least twice GEMINI_FLEX_TIMEOUT (400)",
        ),
        ({}, "SECRET_KEY must be set"),
    ],
)
def test_bad_values_fail_loudly(env, message, tmp_path):
    result = load_settings(NOVELPROC_DATA_DIR=str(tmp_path), **env)
    assert result.returncode != 0 and message in result.stderr


def storage_of(tmp_path, **env: str) -> dict:
    code = "import json, django; from django.conf import settings; django.setup(); print(json.dumps(settings.STORAGES['default']))"
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"} and not k.startswith("S3_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "novelproc.settings",
            "DEBUG": "1",
            "NOVELPROC_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_uploads_live_on_the_filesystem_unless_a_bucket_is_set(tmp_path):
    assert storage_of(tmp_path) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}

    s3 = storage_of(
        tmp_path,
        S3_BUCKET="novels",
        S3_ENDPOINT_URL="https://objects.example.org",
        S3_REGION="eu-west-3",
        S3_ACCESS_KEY_ID="AK",
        S3_SECRET_ACCESS_KEY="SK",
        S3_ADDRESSING_STYLE="path",
    )

    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"] | {"location": ""} == {
        "bucket_name": "novels",
        "endpoint_url": "https://objects.example.org",
        "region_name": "eu-west-3",
        "access_key": "AK",
        "secret_key": "SK",
        "addressing_style": "path",
        "location": "",
        "file_overwrite": False,
    }
