"""The probes, in process (novelproc.health): /healthz, and /readyz part by part."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import OperationalError
from django.test import Client

from novelproc import health

LIVE_CLUSTER = [SimpleNamespace(status="Idle", workers=[101, 102])]


@pytest.fixture
def cluster_up(monkeypatch):
    from django_q.status import Stat

    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: LIVE_CLUSTER))


def test_healthz_answers_whatever_the_host_and_scheme(db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get("/healthz", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 200 and response.json() == {"status": "alive"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_every_part_is_up(db, cluster_up):
    response = Client().get("/readyz", HTTP_HOST="web:8000")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready" and body["down"] == []
    assert set(body["parts"]) == {"database", "broker", "channel_layer", "cluster"}
    assert all(part["up"] for part in body["parts"].values())
    assert body["parts"]["cluster"]["detail"] == "1 cluster(s), 2 worker(s)"


def test_readyz_names_the_cluster_when_none_is_alive(db):
    response = Client().get("/readyz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["down"] == ["cluster"]
    assert body["parts"]["cluster"] == {
        "up": False,
        "ms": body["parts"]["cluster"]["ms"],
        "detail": "no worker cluster has reported in the last few seconds",
    }


def test_a_stopping_cluster_is_not_a_live_one(db, monkeypatch):
    from django_q.status import Stat

    monkeypatch.setattr(
        Stat, "get_all", staticmethod(lambda broker=None: [SimpleNamespace(status="Stopping", workers=[1])])
    )

    assert Client().get("/readyz").json()["down"] == ["cluster"]


def test_readyz_names_the_database_when_it_fails(db, cluster_up, monkeypatch):
    def broken() -> str:
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.PARTS, "database", broken)

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["parts"]["database"]["detail"] == "OperationalError"  # no internals in a public answer


def test_probes_answer_only_get(db):
    assert Client().post("/readyz").status_code == 405
