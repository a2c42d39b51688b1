"""README command 1 (`bin/run`) brings the service up on the embedded default,
and a client following seed 000's flow with the printed demo login gets its
sentences and a reconciled balance."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobs.tests.live import ROOT, ApiClient, Started, free_port, wait_until_serving
from jobs.tests.pdfmaker import write_story_pdf

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="command 1 runs the embedded default; pass 1 covers it"
    ),
]


def test_run_command_serves_the_seed_flow(tmp_path: Path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    env.update(PORT=str(port), NOVELPROC_DATA_DIR=str(tmp_path / "var"))
    run = Started(["bash", str(ROOT / "bin" / "run")], env=env, log_path=tmp_path / "run.log")
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/api/schema/", timeout=240)
        printed = run.log_tail(chars=100_000)
        assert f"http://127.0.0.1:{port}/" in printed and "demo / demo-password" in printed

        client = ApiClient(base, "demo", "demo-password")
        balance_before = client.http.get("/credits/me").json()["balance"]
        job_id = client.confirm_and_start(write_story_pdf(tmp_path / "story.pdf", 45), 45)
        job, _ = client.follow(job_id, timeout=240, interval=0.25)
        assert job["status"] == "completed" and job["total_chunks"] == 3
        assert client.http.get(f"/jobs/{job_id}/result").json()["sentence_count"] > 0
        final = client.http.post(f"/jobs/{job_id}/finalize").json()
        assert client.http.get("/credits/me").json()["balance"] == balance_before - final["actual_credits"]
    finally:
        run.stop(grace=30)
