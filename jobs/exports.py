"""Sentence lists as downloadable files (Index, Sentence)."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Media type → format, for Accept; the first is the default for */*.
EXPORT_MEDIA_TYPES = {content_type.split(";")[0]: fmt for fmt, content_type in EXPORT_FORMATS.items()}


def export_sentences(sentences: list[str], fmt: str, *, title: str) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["Index", "Sentence"])
        writer.writerows((i, s) for i, s in enumerate(sentences, start=1))
        # The BOM makes spreadsheet programs read the file as UTF-8 (accents intact).
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "json":
        rows = [{"index": i, "sentence": s} for i, s in enumerate(sentences, start=1)]
        return json.dumps({"title": title, "sentences": rows}, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "txt":
        return ("\n".join(sentences) + "\n").encode("utf-8")
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Sentences")
        sheet.append(["Index", "Sentence"])
        for i, sentence in enumerate(sentences, start=1):
            sheet.append([i, sentence])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")
