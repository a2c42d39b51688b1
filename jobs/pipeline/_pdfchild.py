"""The child process that runs pypdf on an untrusted file (see ``pdf.py``).

Run as a script: ``python -I _pdfchild.py LIMITS_JSON inspect PATH MAX_PAGES SAMPLE``
or ``... extract PATH FIRST LAST``, or ``python -I _pdfchild.py serve`` to answer
many such requests, one fork each (see ``serve``). It caps its own memory and CPU before
pypdf is even imported, answers one JSON object on stdout, and exits. Any
crash, kill or garbage on stdout is turned into PDF_UNREADABLE by the parent.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import select
import signal
import sys
import time

# Below this average of non-space characters per sampled page a file counts as
# image-only: scanned books often carry a few stray characters per page
# (ImageMagick writes "Background"), a real page of prose has over a thousand.
MIN_CHARS_PER_PAGE = 25


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def apply_limits(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def open_reader(path: str):
    import pypdf
    from pypdf.errors import DependencyError, PdfReadError

    # No external jbig2dec process, smaller decompression budgets than the
    # defaults: a novel's page never needs tens of megabytes.
    pypdf.overwrite_configuration(
        jbig2dec_binary=None,
        disable_legacy_handling=True,
        maximum_declared_stream_length=50_000_000,
        zlib_maximum_output_length=50_000_000,
        stream_decoding_work_maximum_length=200_000_000,
    )
    reader = pypdf.PdfReader(path, strict=False)
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (DependencyError, PdfReadError, NotImplementedError) as exc:
            raise Refused("PDF_ENCRYPTED", f"The PDF is encrypted and cannot be opened ({exc}).") from exc
        if opened == pypdf.PasswordType.NOT_DECRYPTED:
            raise Refused("PDF_ENCRYPTED", "The PDF is protected by a password; upload a copy without one.")
    return reader


# pypdf passes on the control characters of a font without a Unicode map
# (NUL among them). No prose has them, and PostgreSQL refuses NUL in text
# and in JSON, so they go here, before anything stores a page or a sentence.
CONTROL_CHARACTERS = dict.fromkeys([*(c for c in range(32) if chr(c) not in "\t\n\r\f"), 127])


def page_text(reader, index: int) -> str:
    return (reader.pages[index].extract_text() or "").translate(CONTROL_CHARACTERS)


# A typeset novel page holds ~2000 characters; more than this is not a page of prose.
SAMPLE_CHARS_PER_PAGE = 6000


def sample_indexes(page_count: int, sample: int) -> list[int]:
    """Up to ``sample`` page indexes, the middles of equal slices of the book."""
    if page_count <= sample:
        return list(range(page_count))
    return sorted({int((i + 0.5) * page_count / sample) for i in range(sample)})


def inspect(path: str, max_pages: int, sample: int) -> dict:
    reader = open_reader(path)
    page_count = len(reader.pages)
    if page_count == 0:
        raise Refused("NO_TEXT", "The PDF has no pages.")
    if page_count > max_pages:
        raise Refused("TOO_MANY_PAGES", f"The PDF has {page_count} pages; the limit is {max_pages}.")
    indexes = sample_indexes(page_count, sample)
    texts = [page_text(reader, i) for i in indexes]
    chars = [len("".join(text.split())) for text in texts]
    chars_per_page = sum(chars) / len(chars)
    if chars_per_page < MIN_CHARS_PER_PAGE:
        raise Refused("NO_TEXT", "The PDF has no extractable text (scanned images?); it needs OCR first.")
    # The sample's text goes back too, so that the model's own tokenizer can
    # count it; bounded, as a hostile page may hold megabytes.
    sample_text = "\n\n".join(text[:SAMPLE_CHARS_PER_PAGE] for text in texts)
    return {"page_count": page_count, "chars_per_page": chars_per_page, "sample_text": sample_text}


def extract(path: str, first: int, last: int) -> dict:
    reader = open_reader(path)
    page_count = len(reader.pages)
    if not 1 <= first <= last <= page_count:
        raise Refused("PDF_UNREADABLE", f"Pages {first}-{last} do not exist in this {page_count}-page PDF.")
    return {"pages": [page_text(reader, i) for i in range(first - 1, last)]}


def answer_for(command: str, path: str, numbers: list[str]) -> dict:
    logging.disable(logging.WARNING)  # a hostile file can make pypdf warn millions of times
    try:
        if command == "inspect":
            return inspect(path, int(numbers[0]), int(numbers[1]))
        return extract(path, int(numbers[0]), int(numbers[1]))
    except Refused as exc:
        return {"error": exc.code, "message": exc.message}
    except MemoryError:
        return {"error": "PDF_UNREADABLE", "message": "The PDF needs too much memory to read."}
    except Exception as exc:  # pypdf raises many kinds on a broken file; all mean "unreadable"
        return {
            "error": "PDF_UNREADABLE",
            "message": f"The PDF cannot be read ({type(exc).__name__}: {str(exc)[:200]}).",
        }


def main(argv: list[str]) -> int:
    if argv == ["serve"]:
        return serve()
    limits = json.loads(argv[0])
    apply_limits(limits["memory_mb"], limits["cpu_seconds"])
    command, path, *numbers = argv[1:]
    sys.stdout.write(json.dumps(answer_for(command, path, numbers), ensure_ascii=False))
    return 0


# --- Serving many requests: one process per worker, one fork per request ----------


def serve() -> int:
    """Answer one JSON request per stdin line with one JSON line on stdout,
    until stdin closes (the worker that started us is gone). pypdf is
    imported once, here; each request runs in a fork of this process, which
    sets its limits before it touches the file, so a hostile PDF can only
    kill that fork. This saves the interpreter start and the import (about
    0.3 s of CPU) on every chunk."""
    import pypdf  # noqa: F401 - imported once, inherited by every fork

    for line in sys.stdin:
        request = json.loads(line)
        answer = run_forked(request)
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def run_forked(request: dict) -> dict:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the fork: limits first, then the file; it never returns
        os.close(read_end)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing stray may reach the server's answers
        status = 1
        try:
            apply_limits(request["memory_mb"], request["cpu_seconds"])
            data = json.dumps(
                answer_for(request["command"], request["path"], request["numbers"]), ensure_ascii=False
            ).encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    data, timed_out = read_all(read_end, deadline=time.monotonic() + request["timeout"])
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return {"error": "PDF_UNREADABLE", "message": f"Reading the PDF took longer than {request['timeout']:g} s."}
    if status != 0 or not data:
        how = (
            f"killed by signal {os.WTERMSIG(status)}, probably a memory or CPU limit"
            if os.WIFSIGNALED(status)
            else f"exit {os.waitstatus_to_exitcode(status)}"
        )
        return {
            "error": "PDF_UNREADABLE",
            "message": f"The PDF reader stopped ({how}); the file may be damaged or too complex.",
        }
    return json.loads(data)


def read_all(fd: int, *, deadline: float) -> tuple[bytes, bool]:
    """Everything written to ``fd`` until it closes, or (partial, True) at the deadline."""
    parts = []
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                return b"".join(parts), True
            part = pipe.read(1 << 16)
            if not part:
                return b"".join(parts), False
            parts.append(part)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
