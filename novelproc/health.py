"""Liveness and readiness probes: `/healthz` and `/readyz`.

`/healthz` says the process answers and touches nothing else: a container
runtime restarts the process when it fails. `/readyz` checks every part a
book's processing needs (the database, the task broker, the channel layer
that carries live progress, and at least one live worker cluster) and
answers 503 naming the parts that are down.

Probes come from inside the deployment (Docker, a load balancer), by IP or
service name and over plain HTTP: they are answered by a middleware placed
before host validation and the HTTPS redirect, which would turn them into
400s and 301s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

# A probe must answer before the prober gives up (compose waits 5 s): a
# part that takes longer than this is as good as down.
PART_TIMEOUT_SECONDS = 2.0


class PartDown(Exception):
    """A part answered, but not as a ready part does."""


@dataclass(frozen=True)
class PartState:
    up: bool
    milliseconds: float
    detail: str

    def as_json(self) -> dict:
        return {"up": self.up, "ms": round(self.milliseconds, 1), "detail": self.detail}


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def check_broker() -> str:
    from django_q.brokers import get_broker

    broker = get_broker()
    if not broker.ping():
        raise PartDown("the broker did not answer its ping")
    return broker.info()


def check_channel_layer() -> str:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        raise PartDown("no channel layer is configured")

    async def send() -> None:
        # A group nobody joins: the layer does its round trip (with Redis, a
        # few commands) and leaves nothing behind for anyone to receive.
        # (novelproc.channel_layer swallows a dead Redis in group_send; its probe does not.)
        send_probe = getattr(layer, "probe", layer.group_send)
        await asyncio.wait_for(send_probe("readyz-probe", {"type": "probe"}), PART_TIMEOUT_SECONDS)

    async_to_sync(send)()
    return type(layer).__name__


def check_cluster() -> str:
    from django_q.conf import Conf
    from django_q.status import Stat

    # A cluster refreshes its stats every half second and they expire after
    # three: a cluster that stopped or lost the broker disappears from here.
    live = [stat for stat in Stat.get_all() if stat.status not in (Conf.STOPPED, Conf.STOPPING) and stat.workers]
    if not live:
        raise PartDown("no worker cluster has reported in the last few seconds")
    workers = sum(len(stat.workers) for stat in live)
    return f"{len(live)} cluster(s), {workers} worker(s)"


PARTS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "channel_layer": check_channel_layer,
    "cluster": check_cluster,
}


def part_state(check: Callable[[], str]) -> PartState:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as exc:  # a probe reports a part's failure, whatever it is, and never raises
        up, detail = False, str(exc) if isinstance(exc, PartDown) else type(exc).__name__
    else:
        up = True
    return PartState(up=up, milliseconds=(time.perf_counter() - started) * 1000, detail=detail)


def readiness() -> dict[str, PartState]:
    return {name: part_state(check) for name, check in PARTS.items()}


def healthz() -> JsonResponse:
    return JsonResponse({"status": "alive"})


def readyz() -> JsonResponse:
    parts = readiness()
    down = [name for name, state in parts.items() if not state.up]
    if down:
        logger.warning("Not ready: %s down", ", ".join(down))
    body = {
        "status": "unavailable" if down else "ready",
        "down": down,
        "parts": {name: state.as_json() for name, state in parts.items()},
    }
    return JsonResponse(body, status=503 if down else 200)


PROBES: dict[str, Callable[[], JsonResponse]] = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path.rstrip("/"))
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "Probes answer GET.", "error_code": "METHOD_NOT_ALLOWED"}, status=405)
        response = probe()
        response["Cache-Control"] = "no-store"
        return response
