"""20 concurrent 60 MB uploads against the web server (must-show 2 of issue #14).

    .venv/bin/python bench/uploads.py [--uploads 20] [--mb 60]

Starts `manage.py serve` (uvicorn) on a fresh embedded database and, at once,
`--uploads` clients that each send a multipart `POST jobs/{id}/start` of
`--mb` MB (the limit is MAX_UPLOAD_MB, 50), over raw sockets so that the answer
is read even though the server closes without reading the body. Meanwhile a
status client times `GET jobs/{id}` every 50 ms. Reports each upload's status,
the web processes' peak RSS (VmHWM) against their RSS before, and the status
latencies during the uploads.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import configure, descendants, prepare_database  # noqa: E402

from jobs.tests.live import ApiClient, AsgiServer  # noqa: E402

CHUNK = b"\0" * (1024 * 1024)


def rss_kb(pids: list[int], field: str) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith(field)), 0)
    return total


async def upload(port: int, token: str, job_id: int, mb: int) -> str:
    """Send one upload as a browser does (the whole body, no Expect), reading the
    answer as soon as it comes; the server's status, or how the connection ended."""
    boundary = "benchboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="pdf_file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + mb * len(CHUNK) + len(tail)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.ensure_future(reader.readline())
    try:
        writer.write(
            (
                f"POST /api/v1/jobs/{job_id}/start HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n"
            ).encode()
            + head
        )
        for _ in range(mb):
            if answer.done():
                break
            writer.write(CHUNK)
            await writer.drain()
        if not answer.done():
            writer.write(tail)
            await writer.drain()
    except OSError:
        pass  # the server answered and closed while we were still sending: read what it said
    try:
        line = await asyncio.wait_for(answer, timeout=120)
    except OSError as exc:
        return f"connection {type(exc).__name__} before an answer"
    finally:
        writer.close()
    return line.decode().split(" ")[1] if line else "closed without an answer"


async def run(server: AsgiServer, token: str, job_id: int, uploads: int, mb: int, pids: list[int]):
    status_ms: list[float] = []
    done = asyncio.Event()

    async def poll_status() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            while not done.is_set():
                tick = time.monotonic()
                response = await http.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200
                status_ms.append((time.monotonic() - tick) * 1000)
                await asyncio.sleep(0.05)

    poller = asyncio.ensure_future(poll_status())
    await asyncio.sleep(0.2)
    started = time.monotonic()
    statuses = await asyncio.gather(*(upload(server.port, token, job_id, mb) for _ in range(uploads)))
    elapsed = time.monotonic() - started
    await asyncio.sleep(max(0.0, 2.0 - elapsed))  # a few status reads around the uploads, not just one
    done.set()
    await poller
    return statuses, status_ms, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--mb", type=int, default=60)
    args = parser.parse_args()

    env = configure("embedded", Path(tempfile.mkdtemp(prefix="novelproc-bench-")), 1)
    prepare_database(env)
    server = AsgiServer(env=env)
    try:
        client = ApiClient(server.url, "bench", "bench-password")
        job_id = client.confirm("big.pdf", 100)
        for _ in range(20):  # warm-up
            client.job(job_id)
        pids = [server.pid, *descendants(server.pid)]
        before = rss_kb(pids, "VmRSS:")
        statuses, status_ms, elapsed = asyncio.run(run(server, client.token, job_id, args.uploads, args.mb, pids))
        peak = rss_kb(pids, "VmHWM:")
        ordered = sorted(status_ms)
        counts = {status: statuses.count(status) for status in sorted(set(statuses))}
        workers = os.environ.get("WEB_WORKERS", "1")
        print(
            f"{args.uploads} concurrent uploads of {args.mb} MB to POST jobs/{{id}}/start; uvicorn, {workers} process"
        )
        print(f"answers: {counts}  (all sent within {elapsed:.1f} s)")
        print(f"web RSS before {before / 1024:.0f} MB, peak {peak / 1024:.0f} MB: +{(peak - before) / 1024:.0f} MB")
        print(
            f"status during the uploads: n={len(ordered)} p50 {statistics.median(ordered):.1f} ms"
            f" p95 {ordered[max(0, int(len(ordered) * 0.95) - 1)]:.1f} ms max {ordered[-1]:.1f} ms"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
