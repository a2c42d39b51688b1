"""Fixtures shared by every test module."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache

DATA_DIR = Path(os.environ.get("NOVELPROC_SHARED_DATA", Path(__file__).resolve().parent.parent / "shared" / "data"))


def shared_file(name: str) -> Path:
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"shared test data {path} is not here (set NOVELPROC_SHARED_DATA)")
    return path


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate-limit counters must not leak from one test into the next
    yield


@pytest.fixture
def user_factory(db):
    from django.contrib.auth import get_user_model

    counter = {"n": 0}

    def make(username: str | None = None, password: str = "pass-for-tests-1"):
        counter["n"] += 1
        user = get_user_model().objects.create_user(username=username or f"reader{counter['n']}", password=password)
        user.raw_password = password
        return user

    return make


@pytest.fixture
def user(user_factory):
    return user_factory("alice")


@pytest.fixture
def browser(user):
    """A page client logged in as `user` (a session, as a browser has)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api(user):
    """An API client authenticated with a real JWT obtained from the token endpoint."""
    from rest_framework.test import APIClient

    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": user.raw_password}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    client.user = user
    return client


@pytest.fixture
def story_pdf(tmp_path):
    from jobs.tests.pdfmaker import write_story_pdf

    def make(pages: int = 40, name: str = "story.pdf") -> Path:
        return write_story_pdf(tmp_path / name, pages)

    return make


# First, before pytest-xdist's own hook, which reads the xdist_group markers
# (a conftest hook would otherwise run after it, and no group would hold).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    redis_on = bool(os.environ.get("REDIS_URL"))
    postgres_on = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
    for item in items:
        if "postgres" in item.keywords and not postgres_on:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: runs in the second pass of bin/test (DATABASE_URL set)")
            )
        if "redis" in item.keywords and not redis_on:
            item.add_marker(pytest.mark.skip(reason="needs Redis: runs in the second pass of bin/test (REDIS_URL set)"))
        group = xdist_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


# Fixtures that start processes (a qcluster, an ASGI server, a browser, a
# Redis or PostgreSQL of a test's own) or serve the test database to them.
PROCESS_FIXTURES = {"cluster_factory", "asgi_server_factory", "live_server", "page_server", "s3_server"}


def starts_processes(item) -> bool:
    return bool(
        PROCESS_FIXTURES & set(item.fixturenames)
        or item.get_closest_marker("e2e")
        or item.get_closest_marker("browser")
    )


def xdist_group(item) -> str | None:
    """Which pytest-xdist worker group a test runs in (bin/test: -n 2 --dist
    loadgroup); tests of a group run one after another on one worker, the
    others wherever a worker is free. The tests that read the 115-page book's
    job share its rewrite (jobs.tests.books.same_rewrites), so they run
    together; so do the tests of a module that share a module-scoped fixture
    (test_recovery's servers), which would otherwise start once per worker."""
    if "albert" in getattr(item.module, "__dict__", {}):
        return "albert"
    fixtures = getattr(item, "_fixtureinfo", None)
    definitions = fixtures.name2fixturedefs.values() if fixtures else ()
    if any(d.scope == "module" for defs in definitions for d in defs):
        return item.nodeid.split("::")[0]
    return None


@contextlib.contextmanager
def the_cores(*, alone: bool):
    """Held by every test that starts processes, shared; and alone by a test
    that times how fast a service recovers (the `timed` marker), so that no
    other test's cluster races it for the two cores meanwhile. A file lock
    across the pytest-xdist workers of one run; nothing to share without them."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        yield
        return
    with open(Path(tempfile.gettempdir()) / f"novelproc-test-cores-{run}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _shared_cores(request):
    if request.node.get_closest_marker("timed") or not starts_processes(request.node):
        yield
        return
    with the_cores(alone=False):
        yield


def starter(kind: type, tmp_path: Path, name: str):
    """A factory of `kind` processes (jobs.tests.live) on the test database,
    with the production settings and `env` overrides; and the list of those started."""
    from jobs.tests.live import cluster_env

    started: list = []

    def start(**env: str):
        process = kind(env=cluster_env(**env), log_path=tmp_path / f"{name}-{len(started)}.log")
        started.append(process)
        return process

    return start, started


@pytest.fixture
def cluster_factory(tmp_path, monkeypatch, transactional_db):
    """Start real qcluster processes; the test process enqueues for real (not inline)."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    from jobs.tests.live import Cluster

    monkeypatch.setattr(Conf, "SYNC", False)
    get_broker().purge_queue()
    start, started = starter(Cluster, tmp_path, "qcluster")
    yield start
    # Killed, not stopped: django-q2's orderly stop takes seconds, in every
    # test that starts a cluster; test_seed_flow_completes_on_a_real_cluster
    # checks that stop on its own.
    for cluster in started:
        cluster.kill_hard()
    # What real workers left in the shared cache table (a daily quota remembered
    # as spent, cluster stats) would outlive the test: a flush leaves that table alone.
    from django.conf import settings
    from django.core.cache import caches

    if "q2stats" in settings.CACHES:
        caches["q2stats"].clear()


@pytest.fixture
def asgi_server_factory(transactional_db, tmp_path):
    """Start daphne serving novelproc.asgi (HTTP and WebSockets), as in production."""
    from jobs.tests.live import AsgiServer

    start, started = starter(AsgiServer, tmp_path, "daphne")
    yield start
    for server in started:
        server.stop(grace=20)
        print(server.log_tail())  # shown by pytest when the test failed


@pytest.fixture
def live_client(user):
    """An API client (jobs.tests.live.ApiClient) of the server at `base_url`, logged in as `user`."""
    from jobs.tests.live import ApiClient

    def connect(base_url: str, as_user=None) -> ApiClient:
        who = as_user or user
        return ApiClient(base_url, who.username, who.raw_password)

    return connect


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One S3-protocol server (moto's server mode) for the session; each test takes a bucket of its own."""
    from jobs.tests.live import S3Server

    server = S3Server(log_path=tmp_path_factory.mktemp("s3") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """A fresh bucket on the S3 server, and uploads of this process stored in it (settings.STORAGES)."""
    import uuid

    from jobs.tests.live import S3Server

    bucket = f"novelproc-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    env = s3_server.env(bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server.url,
                "region_name": S3Server.REGION,
                "access_key": env["S3_ACCESS_KEY_ID"],
                "secret_key": env["S3_SECRET_ACCESS_KEY"],
                "file_overwrite": False,
            },
        },
    }
    return bucket
