"""Django set up in this process for a bench that needs no server: the
embedded default (SQLite) in a data folder of its own, thrown away after."""

from __future__ import annotations

import os
import tempfile


def setup_scratch_django() -> None:
    """Settings as a fresh clone runs them (DEBUG, no DATABASE_URL), with a
    new data folder so that a bench never reads or writes the developer's."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="novelproc.settings",
        DEBUG="1",
        NOVELPROC_DATA_DIR=tempfile.mkdtemp(prefix="novelproc-bench-"),
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
