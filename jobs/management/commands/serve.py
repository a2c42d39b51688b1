"""`manage.py serve`: the web server, uvicorn (HTTP and WebSockets), with
WEB_WORKERS processes. uvicorn streams request bodies to Django, which spools
uploads to disk; novelproc.asgi refuses oversized ones before reading them.

It replaces itself with a fresh interpreter running uvicorn, so that each
serving process loads novelproc.asgi first and pools its database
connections (settings: NOVELPROC_SERVING)."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with uvicorn (WEB_WORKERS processes)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "novelproc.asgi:application",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(settings.WEB_WORKERS),
            "--lifespan",
            "off",  # Channels' router speaks http and websocket only
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "10",
        ]
        sys.stdout.flush()
        os.execve(sys.executable, command, {**os.environ, "NOVELPROC_SERVING": "asgi"})
