"""The job progress socket against a real ASGI server (daphne) and a real
qcluster: the Redis channel layer in pass 2 of bin/test, the embedded default
(no Redis: the consumer's database resync) in pass 1."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from jobs.tests.live import AsgiServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture
def asgi_server(asgi_server_factory) -> AsgiServer:
    # The server plans the jobs: 2-page chunks give a 60-page book 30 chunks to watch.
    return asgi_server_factory(CHUNK_SIZE_OVERRIDE="2")


def connect(server: AsgiServer, job_id: int, token: str | None = None, **kwargs):
    protocols = ["bearer", token] if token else None
    return websockets.connect(
        f"ws://{server.host}/ws/jobs/{job_id}/",
        subprotocols=protocols,
        origin=server.url,
        open_timeout=10,
        **kwargs,
    )


async def read_until_done(ws, *, stop_after: int | None = None) -> list[dict]:
    events = []
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
        events.append(event)
        if event["job"]["status"] in {"completed", "failed", "cancelled"} or (stop_after and len(events) >= stop_after):
            return events


def sentences_of(events: list[dict]) -> dict[int, list[str]]:
    seen: dict[int, list[str]] = {}
    for event in events:
        for index, sentences in event["sentences"].items():
            assert int(index) not in seen or event["type"] == "snapshot"  # progress never repeats a chunk
            seen[int(index)] = sentences
    return seen


def merged(seen: dict[int, list[str]]) -> list[str]:
    return [s for index in sorted(seen) for s in seen[index]]


def test_snapshot_then_ordered_progress_to_completed(asgi_server, cluster_factory, live_client, story_pdf):
    cluster_factory()
    client = live_client(asgi_server.url)
    job_id = client.confirm_and_start(story_pdf(60), 60)

    async def watch():
        async with connect(asgi_server, job_id, client.token) as ws:
            assert ws.subprotocol == "bearer"
            return await read_until_done(ws)

    events = asyncio.run(watch())

    assert events[0]["type"] == "snapshot" and all(e["type"] == "progress" for e in events[1:])
    progress = [e["job"]["progress_percent"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 100 and len(set(progress)) >= 3
    assert events[-1]["job"]["status"] == "completed"
    assert merged(sentences_of(events)) == client.http.get(f"/jobs/{job_id}/result").json()["sentences"]
    assert events[-1]["job"]["quality"] == client.job(job_id)["quality"]  # the socket and the API say the same
    assert events[-1]["job"]["quality"]["lines_judged"] > 0


def test_other_users_and_bad_tokens_are_refused(asgi_server, live_client, user_factory):
    client = live_client(asgi_server.url)
    job_id = client.confirm("s.pdf", 40)
    other_token = live_client(asgi_server.url, as_user=user_factory("mallory")).token

    async def close_code(token: str | None, **kwargs) -> int:
        async with connect(asgi_server, job_id, token, **kwargs) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=10)
            return closed.value.rcvd.code

    assert asyncio.run(close_code(other_token)) == 4404
    assert asyncio.run(close_code("not-a-token")) == 4401
    assert asyncio.run(close_code(None)) == 4401

    async def without_origin() -> dict:
        # What Python `websockets` and `wscat` do by default: no Origin header at all.
        async with websockets.connect(
            f"ws://{asgi_server.host}/ws/jobs/{job_id}/", subprotocols=["bearer", client.token], open_timeout=10
        ) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))

    assert asyncio.run(without_origin())["type"] == "snapshot"


def test_the_session_cookie_authenticates_the_owner(asgi_server, live_client, user, client):
    job_id = live_client(asgi_server.url).confirm("s.pdf", 40)
    # The API login upgraded the fast test password hash; the session must be made from the new one.
    user.refresh_from_db()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def first_event() -> dict:
        async with connect(asgi_server, job_id, additional_headers={"Cookie": cookie}) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))

    event = asyncio.run(first_event())
    assert event["type"] == "snapshot" and event["job"]["id"] == job_id and event["job"]["status"] == "pending"

    async def from_another_site() -> None:
        async with websockets.connect(
            f"ws://{asgi_server.host}/ws/jobs/{job_id}/",
            origin="http://evil.example",
            additional_headers={"Cookie": cookie},
            open_timeout=10,
        ):
            pass

    with pytest.raises(websockets.InvalidStatus):  # the cookie rides along, but the Origin is not ours
        asyncio.run(from_another_site())


def test_a_reconnect_mid_job_gets_the_current_state_and_loses_nothing(
    asgi_server, cluster_factory, live_client, story_pdf
):
    cluster_factory()
    client = live_client(asgi_server.url)
    job_id = client.confirm_and_start(story_pdf(60), 60)

    async def watch_twice():
        async with connect(asgi_server, job_id, client.token) as ws:
            first = await read_until_done(ws, stop_after=3)
        await asyncio.sleep(1.0)  # chunks finish while nobody listens
        async with connect(asgi_server, job_id, client.token) as ws:
            second = await read_until_done(ws)
        return first, second

    first, second = asyncio.run(watch_twice())

    snapshot = second[0]
    assert (
        snapshot["type"] == "snapshot" and snapshot["job"]["progress_percent"] >= first[-1]["job"]["progress_percent"]
    )
    assert len(snapshot["sentences"]) == sum(1 for c in snapshot["chunks"] if c["status"] == "succeeded")
    assert merged(sentences_of(second)) == client.http.get(f"/jobs/{job_id}/result").json()["sentences"]
