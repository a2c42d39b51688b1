"""Settings for the test suite: the real settings, with test-only overrides.

The environment decides the database and broker exactly as in production
(`DATABASE_URL`, `REDIS_URL`), so the same suite runs on the embedded default
and on PostgreSQL + Redis."""

import os
import re
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
# bin/test runs the suite in pytest-xdist workers: each gets a data folder and
# a Redis database of its own (the suite clears the cache between tests and
# purges the broker's queue), as pytest-django gives each its own test database.
# The processes a test starts inherit both through the environment.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if WORKER:
    os.environ["NOVELPROC_DATA_DIR"] = tempfile.mkdtemp(prefix=f"novelproc-test-{WORKER}-")
    if os.environ.get("REDIS_URL"):
        index = int(WORKER.removeprefix("gw"))
        database = re.search(r"/(\d+)$", os.environ["REDIS_URL"])
        first = int(database.group(1)) if database else 15
        os.environ["REDIS_URL"] = re.sub(r"(/\d+)?$", f"/{first - index}", os.environ["REDIS_URL"], count=1)
os.environ.setdefault("NOVELPROC_DATA_DIR", tempfile.mkdtemp(prefix="novelproc-test-"))

from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402

from novelproc.settings import *  # noqa: E402,F403


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Fast for tests, and still verifiable by the real settings' hasher (the
    iteration count is stored in each hash), which the processes that
    end-to-end tests start (daphne, qcluster) use."""

    iterations = 1


PASSWORD_HASHERS = ["novelproc.test_settings.FastPBKDF2PasswordHasher"]
# The suite's Gemini tests count chunks and calls on the seeds' table; the
# latency plan's own tests ask for it (settings.CHUNK_PLAN = "latency").
CHUNK_PLAN = "seeds"
# Unit tests run tasks inline; end-to-end tests start a real qcluster with the real settings.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not pytest's in-memory database: end-to-end tests start real
    # worker processes that must open the same database.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["NOVELPROC_DATA_DIR"], "test.sqlite3")}  # noqa: F405

STATIC_ROOT = os.path.join(os.environ["NOVELPROC_DATA_DIR"], "static")
os.makedirs(STATIC_ROOT, exist_ok=True)
