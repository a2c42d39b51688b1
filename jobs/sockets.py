"""Where a job's progress socket is: the route (jobs.routing) and every link to
it (the start answer's `ws_url`, the job page) come from here, since channels'
routes cannot be reversed like Django's URLs."""

from __future__ import annotations

SOCKET_ROUTE = r"^ws/jobs/(?P<job_id>\d+)/?$"


def socket_path(job_id: int) -> str:
    return f"/ws/jobs/{job_id}/"
