"""The child process that runs pypdf on an untrusted file (see ``pdf.py``).

Run as a script: ``python -I _pdfchild.py LIMITS_JSON inspect PATH MAX_PAGES SAMPLE``
or ``... extract PATH FIRST LAST``. It caps its own memory and CPU before
pypdf is even imported, answers one JSON object on stdout, and exits. Any
crash, kill or garbage on stdout is turned into PDF_UNREADABLE by the parent.
"""

from __future__ import annotations

import json
import logging
import resource
import sys

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


def page_text(reader, index: int) -> str:
    return reader.pages[index].extract_text() or ""


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
    chars = [len("".join(page_text(reader, i).split())) for i in indexes]
    chars_per_page = sum(chars) / len(chars)
    if chars_per_page < MIN_CHARS_PER_PAGE:
        raise Refused("NO_TEXT", "The PDF has no extractable text (scanned images?); it needs OCR first.")
    return {"page_count": page_count, "chars_per_page": chars_per_page}


def extract(path: str, first: int, last: int) -> dict:
    reader = open_reader(path)
    page_count = len(reader.pages)
    if not 1 <= first <= last <= page_count:
        raise Refused("PDF_UNREADABLE", f"Pages {first}-{last} do not exist in this {page_count}-page PDF.")
    return {"pages": [page_text(reader, i) for i in range(first - 1, last)]}


def main(argv: list[str]) -> int:
    limits = json.loads(argv[0])
    apply_limits(limits["memory_mb"], limits["cpu_seconds"])
    logging.disable(logging.WARNING)  # a hostile file can make pypdf warn millions of times
    command, path, *numbers = argv[1:]
    try:
        if command == "inspect":
            answer = inspect(path, int(numbers[0]), int(numbers[1]))
        else:
            answer = extract(path, int(numbers[0]), int(numbers[1]))
    except Refused as exc:
        answer = {"error": exc.code, "message": exc.message}
    except MemoryError:
        answer = {"error": "PDF_UNREADABLE", "message": "The PDF needs too much memory to read."}
    except Exception as exc:  # pypdf raises many kinds on a broken file; all mean "unreadable"
        answer = {"error": "PDF_UNREADABLE", "message": f"The PDF cannot be read ({type(exc).__name__}: {str(exc)[:200]})."}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
