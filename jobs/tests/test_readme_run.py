"""README command 1 (`bin/run`) brings the service up on the embedded default,
and a client following seed 000's flow with the printed demo login gets its
sentences and a reconciled balance."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from jobs.tests.cluster import ROOT, wait_for, wait_until_serving
from jobs.tests.pdfmaker import write_story_pdf

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="command 1 runs the embedded default; pass 1 covers it"
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_command_serves_the_seed_flow(tmp_path: Path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    env.update(PORT=str(port), NOVELPROC_DATA_DIR=str(tmp_path / "var"))
    log = open(tmp_path / "run.log", "wb")
    process = subprocess.Popen(
        ["bash", str(ROOT / "bin" / "run")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/api/schema/", timeout=240)
        printed = (tmp_path / "run.log").read_text()
        assert f"http://127.0.0.1:{port}/" in printed and "demo / demo-password" in printed

        http = httpx.Client(base_url=f"{base}/api/v1", timeout=30)
        token = http.post("/auth/token/", json={"username": "demo", "password": "demo-password"}).json()["access"]
        http.headers["Authorization"] = f"Bearer {token}"
        balance_before = http.get("/credits/me").json()["balance"]
        pdf = write_story_pdf(tmp_path / "story.pdf", 45)
        job_id = http.post("/jobs/confirm", json={"original_filename": "story.pdf", "page_count": 45}).json()["job_id"]
        with open(pdf, "rb") as handle:
            assert http.post(f"/jobs/{job_id}/start", files={"pdf_file": handle}).status_code == 202
        job = wait_for(
            lambda: (j := http.get(f"/jobs/{job_id}").json())["status"] in {"completed", "failed"} and j,
            timeout=240,
            what="the job to finish",
        )
        assert job["status"] == "completed" and job["total_chunks"] == 3
        assert http.get(f"/jobs/{job_id}/result").json()["sentence_count"] > 0
        final = http.post(f"/jobs/{job_id}/finalize").json()
        assert http.get("/credits/me").json()["balance"] == balance_before - final["actual_credits"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
