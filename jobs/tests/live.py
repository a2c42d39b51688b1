"""The one harness for running the service for real: a free port, the ASGI
server (uvicorn, through `manage.py serve`), a `qcluster`, and an API client that follows seed 000's flow.

Every end-to-end test (through the fixtures in conftest.py) and every bench
under bench/ starts its processes and talks to them through here. Plain
Python: benches import it without pytest; only `cluster_env` needs Django
configured (it points the processes at the test database)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = frozenset({"completed", "failed", "cancelled"})


# Ports for the servers the tests and benches start: below the kernel's
# ephemeral range (32768-60999 here), from which bind(0) and every outgoing
# connection draw, and a block for each pytest-xdist worker. A port from
# bind(0) was free when asked, but another process (an outgoing connection, a
# server of the other worker) could take it before our server bound it: a
# health check once reached moto's S3 server instead of ours.
PORT_BLOCK = 1500
FIRST_PORT = 20000
_ports = itertools.count()


def free_port() -> int:
    """A port to start a server on, never handed out twice by one process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    block = FIRST_PORT + PORT_BLOCK * (int(worker.removeprefix("gw")) % 8 if worker[2:].isdigit() else 0)
    for _ in range(PORT_BLOCK):
        port = block + next(_ports) % PORT_BLOCK
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            return port
    raise RuntimeError(f"no free port in {block}-{block + PORT_BLOCK - 1}")


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.25, what: str = "condition"):
    """The first true value of `condition()`; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_until_serving(url: str, *, timeout: float) -> None:
    """Wait until `url` answers 200 (a server we started is up)."""

    def up() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=timeout, interval=0.3, what=f"{url} to answer")


def cluster_env(**overrides: str) -> dict[str, str]:
    """The environment a production process would get (novelproc.settings),
    pointed at the test database and its media: for processes that a test
    starts next to itself."""
    from django.conf import settings
    from django.db import connection

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SQLITE_PATH", "NOVELPROC_SERVING"}
    }
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


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class Started:
    """One of the project's processes, in a session of its own (so that it can
    be stopped, or killed, with all its children), its output in `log_path`."""

    def __init__(self, command: list[str], *, env: dict[str, str], log_path: Path | None = None):
        self.log_path = log_path
        self.log = open(log_path, "ab") if log_path else None
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill_hard(self) -> None:
        if group_alive(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.close_log()

    def stop(self, *, grace: float = 8) -> bool:
        """SIGTERM to the whole group, as systemd sends it; True when every
        process of the group was gone within `grace` seconds, without a SIGKILL."""
        clean = True
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            # The main process (poll() reaps it), then the rest of its group.
            while (self.process.poll() is None or group_alive(self.process.pid)) and time.monotonic() < deadline:
                time.sleep(0.1)
            clean = self.process.poll() is not None and not group_alive(self.process.pid)
            if not clean:
                self.kill_hard()
        self.close_log()
        return clean

    def close_log(self) -> None:
        if self.log is not None and not self.log.closed:
            self.log.close()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path and self.log_path.exists() else ""


class Cluster(Started):
    """`manage.py qcluster`: the project's worker cluster."""

    def __init__(self, *, env: dict[str, str], log_path: Path | None = None):
        super().__init__([sys.executable, str(ROOT / "manage.py"), "qcluster"], env=env, log_path=log_path)

    def workers(self) -> list[int]:
        """The sentinel's children: the workers, with the pusher and the monitor (which mostly wait)."""
        (sentinel,) = children(self.pid)
        return children(sentinel)


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def connections_to(pid: int, port: int) -> int:
    """How many TCP connections process `pid` has established to 127.0.0.1:`port`
    (a worker's Gemini calls in flight, with the fake server on that port)."""
    sockets = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                sockets.add(target[len("socket:[") : -1])
    established = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        established += inode in sockets and state == "01" and int(remote.split(":")[1], 16) == port
    return established


class AsgiServer(Started):
    """`manage.py serve` (uvicorn serving novelproc.asgi, HTTP and WebSockets) on a free port, as in production."""

    def __init__(self, *, env: dict[str, str], log_path: Path | None = None, timeout: float = 60):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        env = {"WEB_WORKERS": "1", **env}
        serve = [sys.executable, str(ROOT / "manage.py"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        super().__init__(serve, env=env, log_path=log_path)
        try:
            wait_until_serving(f"{self.url}/healthz", timeout=timeout)
        except AssertionError:
            self.stop()
            raise


def wait_for_port(port: int, *, timeout: float, what: str) -> None:
    def accepts() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_for(accepts, timeout=timeout, interval=0.05, what=what)


class RedisServer(Started):
    """A Redis of the test's own on a free port (for tests that take it down), keeping nothing on disk."""

    def __init__(self, *, port: int | None = None, log_path: Path | None = None, timeout: float = 20):
        self.port = port or free_port()  # the same port again: the same Redis, restarted
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        super().__init__(command, env=dict(os.environ), log_path=log_path)
        wait_for_port(self.port, timeout=timeout, what=f"redis-server on port {self.port}")


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the machine's `postgres` account runs ours then.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """A PostgreSQL of the caller's own (initdb in a temporary folder, a free
    port, PostgreSQL's default max_connections of 100), for tests and benches
    that load it, restart it or count its connections; never the shared one."""

    def __init__(self, *, port: int | None = None, max_connections: int = 100):
        import shutil
        import tempfile

        self.dir = Path(tempfile.mkdtemp(prefix="novelproc-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = port or free_port()
        self.max_connections = max_connections
        self.options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
            " -c fsync=off"
        )
        subprocess.run(
            _as_postgres_user(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()
        self.psql("postgres", "CREATE DATABASE novelproc")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/novelproc"

    def start(self) -> None:
        log = str(self.dir / "log")
        subprocess.run(
            _as_postgres_user(["pg_ctl", "-D", str(self.data), "-o", self.options, "-l", log, "-w", "start"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut."""
        subprocess.run(
            _as_postgres_user(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()

    def psql(self, database: str, sql: str) -> str:
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-tAc", sql]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    def connections(self) -> int:
        """Client connections to the service's database now."""
        return int(self.psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = 'novelproc'") or 0)

    def stop(self) -> None:
        import shutil

        subprocess.run(
            _as_postgres_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


class S3Server(Started):
    """An S3-protocol server on a free port (moto's server mode), keeping everything in memory."""

    REGION = "us-east-1"

    def __init__(self, *, log_path: Path | None = None, timeout: float = 60):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        super().__init__(command, env=dict(os.environ), log_path=log_path)
        wait_for_port(self.port, timeout=timeout, what=f"moto's S3 server on port {self.port}")

    def env(self, bucket: str) -> dict[str, str]:
        """The variables that point novelproc.settings at `bucket` on this server."""
        return {
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.url,
            "S3_REGION": self.REGION,
            "S3_ACCESS_KEY_ID": "testing",
            "S3_SECRET_ACCESS_KEY": "testing",
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


class ApiClient:
    """A client of the HTTP API with a JWT, following seed 000's flow."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30):
        self.http = httpx.Client(base_url=f"{base_url}/api/v1", timeout=timeout)
        answer = self.http.post("/auth/token/", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def confirm(self, name: str, pages: int, *, model_preference: str = "speed", **processing_settings) -> int:
        body = {"original_filename": name, "page_count": pages, "model_preference": model_preference}
        if processing_settings:
            body["processing_settings"] = processing_settings
        confirmed = self.http.post("/jobs/confirm", json=body)
        assert confirmed.status_code == 201, confirmed.text
        return confirmed.json()["job_id"]

    def start(self, job_id: int, pdf: Path) -> dict:
        with open(pdf, "rb") as handle:
            started = self.http.post(f"/jobs/{job_id}/start", files={"pdf_file": (pdf.name, handle, "application/pdf")})
        assert started.status_code == 202, started.text
        return started.json()

    def confirm_and_start(self, pdf: Path, pages: int, **confirm) -> int:
        job_id = self.confirm(pdf.name, pages, **confirm)
        self.start(job_id, pdf)
        return job_id

    def job(self, job_id: int) -> dict:
        return self.http.get(f"/jobs/{job_id}").json()

    def follow(self, job_id: int, *, timeout: float, interval: float = 0.1) -> tuple[dict, list[int]]:
        """Poll the job until it has finished: (the job, each distinct progress_percent seen in order)."""
        seen: list[int] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if not seen or job["progress_percent"] != seen[-1]:
                seen.append(job["progress_percent"])
            if job["status"] in TERMINAL:
                return job, seen
            time.sleep(interval)
        raise AssertionError(f"job {job_id} still {self.job(job_id)['status']} after {timeout} s")
