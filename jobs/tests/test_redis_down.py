"""Redis down (our own redis-server, stopped and restarted on its port; never
the shared one): requests degrade instead of failing, and job sockets keep
going on the database alone."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async

from jobs.models import Job
from jobs.tests.live import RedisServer, free_port, wait_for
from novelproc.channel_layer import ResilientRedisChannelLayer

pytestmark = [pytest.mark.first_pass, pytest.mark.timeout(120)]


def test_the_channel_layer_rides_out_a_redis_that_does_not_answer():
    layer = ResilientRedisChannelLayer(hosts=[f"redis://127.0.0.1:{free_port()}/0"])

    async def use() -> bool:
        await layer.group_add("job_1", "specific.x!y")
        await layer.group_send("job_1", {"type": "job.changed"})
        await layer.group_discard("job_1", "specific.x!y")
        with pytest.raises(asyncio.TimeoutError):  # waits for Redis instead of raising
            await asyncio.wait_for(layer.receive(await layer.new_channel()), timeout=1.5)
        return layer.down

    assert asyncio.run(use()) is True and layer.outages == 1


@pytest.mark.e2e
def test_with_redis_down_requests_degrade_and_sockets_keep_going(asgi_server_factory, live_client, story_pdf, tmp_path):
    redis = RedisServer(log_path=tmp_path / "redis.log")
    server = asgi_server_factory(REDIS_URL=redis.url, LIVE_RESYNC_SECONDS="30")
    client = live_client(server.url)
    watched = client.confirm("watched.pdf", 40)

    async def outage() -> tuple[dict, dict]:
        url = f"ws://{server.host}/ws/jobs/{watched}/"
        async with websockets.connect(url, subprotocols=["bearer", client.token], open_timeout=10) as ws:
            assert json.loads(await ws.recv())["type"] == "snapshot"
            await asyncio.to_thread(redis.stop)
            await asyncio.sleep(1.5)  # the layer's receive has failed by now
            await sync_to_async(Job.objects.filter(pk=watched).update)(current_step="Changed while Redis was down")
            # With Redis up this socket re-reads every 30 s; down, at the embedded pace.
            changed = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            async with websockets.connect(url, subprotocols=["bearer", client.token], open_timeout=10) as second:
                snapshot = json.loads(await asyncio.wait_for(second.recv(), timeout=5))
            return changed, snapshot

    changed, snapshot = asyncio.run(outage())
    assert changed["type"] == "progress" and changed["job"]["current_step"] == "Changed while Redis was down"
    assert snapshot["type"] == "snapshot" and snapshot["job"]["current_step"] == "Changed while Redis was down"

    # The rate limit fails open: confirm works, uncounted.
    job_id = client.confirm("during.pdf", 40)
    assert client.job(job_id)["status"] == "pending"
    assert client.http.get("/jobs/").status_code == 200
    assert client.http.get("/jobs/stats").status_code == 200
    # Start needs the broker: 503 with Retry-After, and nothing started.
    with open(story_pdf(5), "rb") as pdf:
        refused = client.http.post(f"/jobs/{job_id}/start", files={"pdf_file": ("s.pdf", pdf, "application/pdf")})
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert refused.json()["error_code"] == "BROKER_UNAVAILABLE"
    assert Job.objects.get(pk=job_id).queued_at is None
    ready = httpx.get(f"{server.url}/readyz", timeout=10)
    assert ready.status_code == 503 and "broker" in ready.json()["down"]

    restarted = RedisServer(port=redis.port, log_path=tmp_path / "redis-again.log")
    try:
        started = wait_for(lambda: start_when_up(client, job_id, story_pdf(5)), timeout=15, what="a start to pass")
        assert started.status_code == 202
    finally:
        restarted.stop()


def start_when_up(client, job_id: int, pdf) -> httpx.Response | None:
    with open(pdf, "rb") as handle:
        answer = client.http.post(f"/jobs/{job_id}/start", files={"pdf_file": ("s.pdf", handle, "application/pdf")})
    if answer.status_code == 503:
        time.sleep(0.5)
        return None
    return answer
