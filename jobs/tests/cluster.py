"""A real `manage.py qcluster` process against the test database, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def cluster_env(**overrides: str) -> dict[str, str]:
    """The environment a production worker would get, pointed at the test database."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SQLITE_PATH"}}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update(
        DJANGO_SETTINGS_MODULE="novelproc.settings",
        SECRET_KEY=settings.SECRET_KEY,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        NOVELPROC_DATA_DIR=str(settings.DATA_DIR),
        Q_WORKERS="2",
        CHUNK_LEASE_SECONDS="10",
        WHITENOISE_USE_FINDERS="1",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


class Cluster:
    def __init__(self, log_path: Path, **env: str):
        self.log = open(log_path, "ab")
        # Its own session: a test can kill -9 the whole cluster (monitor, pusher, workers).
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=cluster_env(**env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_hard(self) -> None:
        if group_alive(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> bool:
        """SIGTERM to the whole group, as systemd sends it; True when every
        process of the cluster was gone within 8 s, without a SIGKILL."""
        clean = True
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 8
            # The main process (poll() reaps it), then the workers of its group.
            while (self.process.poll() is None or group_alive(self.process.pid)) and time.monotonic() < deadline:
                time.sleep(0.1)
            clean = self.process.poll() is not None and not group_alive(self.process.pid)
            if not clean:
                self.kill_hard()
        if not self.log.closed:
            self.log.close()
        return clean


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_serving(url: str, *, timeout: float) -> None:
    """Wait until `url` answers 200 (a server we started is up)."""
    import httpx

    def up() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=timeout, interval=0.3, what=f"{url} to answer")


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
