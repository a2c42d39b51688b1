"""/readyz of a real daphne against a Redis of the test's own, which the test
takes down (the shared Redis is never touched), and a real `qcluster`.

It brings its own Redis, so bin/test runs it in the first pass only."""

from __future__ import annotations

import httpx
import pytest

from jobs.tests.live import RedisServer, wait_for

pytestmark = [pytest.mark.first_pass, pytest.mark.e2e, pytest.mark.timeout(180)]


def readyz(server) -> tuple[int, dict]:
    answer = httpx.get(f"{server.url}/readyz", timeout=10)
    return answer.status_code, answer.json()


def test_readyz_follows_the_cluster_and_redis(asgi_server_factory, cluster_factory, tmp_path):
    redis = RedisServer(log_path=tmp_path / "redis.log")
    try:
        server = asgi_server_factory(REDIS_URL=redis.url)

        status, body = readyz(server)
        assert (status, body["down"]) == (503, ["cluster"]), body
        assert body["parts"]["broker"]["detail"].startswith("Redis")

        cluster = cluster_factory(REDIS_URL=redis.url)
        status, body = wait_for(lambda: (r := readyz(server))[0] == 200 and r, timeout=60, what="the cluster to report")
        assert body["status"] == "ready" and all(part["up"] for part in body["parts"].values()), body

        redis.kill_hard()
        status, body = readyz(server)
        assert status == 503 and body["status"] == "unavailable"
        assert {"broker", "channel_layer", "cluster"} <= set(body["down"]) and "database" not in body["down"], body
        cluster.kill_hard()  # a cluster without its broker would only spend the fixture's grace period
    finally:
        redis.stop()
