"""The qcluster command's preparation before it forks its workers."""

from __future__ import annotations

import gc

import pytest

from jobs.management.commands import qcluster

pytestmark = pytest.mark.first_pass


def test_what_is_loaded_before_the_workers_fork_is_frozen_out_of_the_collector(monkeypatch):
    frozen_at_load: list[int] = []
    monkeypatch.setattr(qcluster, "warm_up", lambda: frozen_at_load.append(gc.get_freeze_count()))
    gc.unfreeze()
    try:
        qcluster.load_before_fork()

        # Loaded first, then frozen with everything the process holds.
        assert frozen_at_load == [0] and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
