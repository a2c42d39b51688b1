"""Open untrusted PDFs safely: page count, a text sample, page texts.

pypdf runs in a child process (``_pdfchild.py``) that caps its own memory
and CPU time, under a wall-clock timeout: a decompression bomb or an endless
xref loop can only kill or hang the child, never the web request or the
worker that called us.

Each process keeps one long-lived reader process (``ReaderProcess``) that
forks a fresh, limited child per request, so a chunk does not pay for a new
interpreter and a pypdf import. A caller that finds it busy (another thread
of a web server) or broken runs a one-shot child instead.
"""

from __future__ import annotations

import json
import math
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

CHILD_SCRIPT = Path(__file__).with_name("_pdfchild.py")
PDF_MAGIC = b"%PDF-"
# Real files sometimes carry junk (a BOM, a mail header) before the magic;
# pypdf accepts it within the first kilobyte, and so do we.
MAGIC_SEARCH_BYTES = 1024

STATUS = {
    "EMPTY_FILE": 422,
    "NOT_A_PDF": 415,
    "PDF_ENCRYPTED": 422,
    "PDF_UNREADABLE": 422,
    "TOO_MANY_PAGES": 422,
    "NO_TEXT": 422,
}


class PdfRejected(Exception):
    """A PDF we refuse, with the error code and HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    @classmethod
    def of(cls, code: str, message: str) -> PdfRejected:
        return cls(code, message, STATUS[code])


@dataclass(frozen=True)
class PdfInfo:
    page_count: int
    chars_per_page: float  # non-space characters, averaged over the sample pages
    sample_text: str = ""  # the sample pages' text, for a token count


def inspect_pdf(
    path: str | PathLike, *, max_pages: int, sample_pages: int = 5, timeout: float = 20, memory_mb: int = 512
) -> PdfInfo:
    """Page count and average characters per page of a sample, or PdfRejected."""
    check_header(path)
    answer = run_child(["inspect", str(path), str(max_pages), str(sample_pages)], timeout=timeout, memory_mb=memory_mb)
    return PdfInfo(
        page_count=int(answer["page_count"]),
        chars_per_page=float(answer["chars_per_page"]),
        sample_text=str(answer.get("sample_text", "")),
    )


def extract_pages(
    path: str | PathLike, first: int, last: int, *, timeout: float = 120, memory_mb: int = 768
) -> list[str]:
    """Raw pypdf ``extract_text()`` of pages first..last (1-based, inclusive)."""
    if first < 1 or last < first:
        raise ValueError(f"bad page range {first}-{last}")
    check_header(path)
    answer = run_child(["extract", str(path), str(first), str(last)], timeout=timeout, memory_mb=memory_mb)
    pages = answer["pages"]
    if len(pages) != last - first + 1 or not all(isinstance(page, str) for page in pages):
        raise PdfRejected.of("PDF_UNREADABLE", "The PDF reader returned an unexpected answer.")
    return pages


def check_header(path: str | PathLike) -> None:
    """The cheap checks, before spending a process on the file."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(MAGIC_SEARCH_BYTES)
    except OSError as exc:
        raise PdfRejected.of("PDF_UNREADABLE", f"The file cannot be read ({exc.strerror}).") from exc
    if not head:
        raise PdfRejected.of("EMPTY_FILE", "The file is empty.")
    if PDF_MAGIC not in head:
        raise PdfRejected.of("NOT_A_PDF", "The file is not a PDF.")


def run_child(arguments: list[str], *, timeout: float, memory_mb: int) -> dict:
    cpu_seconds = max(1, math.ceil(timeout))
    answer = READER.ask(
        {
            "command": arguments[0],
            "path": arguments[1],
            "numbers": arguments[2:],
            "timeout": timeout,
            "memory_mb": memory_mb,
            "cpu_seconds": cpu_seconds,
        }
    )
    if answer is None:
        answer = run_one_shot(arguments, timeout=timeout, limits={"memory_mb": memory_mb, "cpu_seconds": cpu_seconds})
    if "error" in answer:
        raise PdfRejected.of(answer["error"] if answer["error"] in STATUS else "PDF_UNREADABLE", answer["message"])
    return answer


def run_one_shot(arguments: list[str], *, timeout: float, limits: dict) -> dict:
    command = [sys.executable, "-I", str(CHILD_SCRIPT), json.dumps(limits), *arguments]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, start_new_session=True, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PdfRejected.of("PDF_UNREADABLE", f"Reading the PDF took longer than {timeout:g} s.") from exc
    if done.returncode != 0:
        raise PdfRejected.of(
            "PDF_UNREADABLE", f"The PDF reader stopped ({describe_exit(done)}); the file may be damaged or too complex."
        )
    try:
        return json.loads(done.stdout)
    except ValueError as exc:
        raise PdfRejected.of("PDF_UNREADABLE", "The PDF reader gave no answer.") from exc


class ReaderProcess:
    """The long-lived ``_pdfchild.py serve`` of this process, started on
    first use. It enforces each request's timeout itself; the margin here
    only catches a reader process that stopped answering, which is then
    killed and replaced on the next request."""

    MARGIN_SECONDS = 5.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.owner_pid = 0

    def ask(self, request: dict) -> dict | None:
        """The answer, or None when the reader is busy or broken (run a one-shot child then)."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            process = self.running()
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            line = read_line(
                process.stdout.fileno(), deadline=time.monotonic() + request["timeout"] + self.MARGIN_SECONDS
            )
            return json.loads(line)
        except (OSError, ValueError):
            self.stop()
            return None
        finally:
            self.lock.release()

    def running(self) -> subprocess.Popen:
        # A process forked from ours (a django-q2 worker) must not share our
        # pipes with its parent: it starts its own reader.
        if self.process is None or self.process.poll() is not None or self.owner_pid != os.getpid():
            self.process = subprocess.Popen(
                [sys.executable, "-I", str(CHILD_SCRIPT), "serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                bufsize=0,
            )
            self.owner_pid = os.getpid()
        return self.process

    def stop(self) -> None:
        if self.process is not None and self.owner_pid == os.getpid():
            self.process.kill()
            self.process.wait()
        self.process = None


def read_line(fd: int, *, deadline: float) -> bytes:
    """One line from ``fd``; OSError when it closes or the deadline passes."""
    parts = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise OSError("the PDF reader process did not answer in time")
        part = os.read(fd, 1 << 16)
        if not part:
            raise OSError("the PDF reader process closed")
        parts.append(part)
        if part.endswith(b"\n"):
            return b"".join(parts)


READER = ReaderProcess()


def describe_exit(done: subprocess.CompletedProcess) -> str:
    if done.returncode < 0:
        return f"killed by signal {-done.returncode}, probably a memory or CPU limit"
    last_line = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return f"exit {done.returncode}: {last_line[0][:200]}"
