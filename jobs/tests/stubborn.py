"""A task for the cluster tests: one that outlives its timeout (it swallows
the timeout exception django-q2 raises inside it), as a call stuck in C code
would, so only the sentinel's SIGTERM can stop its worker."""

import os
import time
from pathlib import Path


def stubborn(pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            time.sleep(0.2)
        except BaseException:  # noqa: BLE001 - the point: a task that will not stop by itself
            continue
