"""Write small, valid text PDFs for tests (standard Helvetica font, WinAnsi
encoding so French accents survive), without any PDF-writing dependency."""

from __future__ import annotations

from pathlib import Path


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(pages: list[list[str]]) -> bytes:
    """One inner list of text lines per page."""
    objects: list[bytes] = []
    page_ids = []
    font_id = 3
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # pages tree, filled below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for lines in pages:
        stream = (
            b"BT /F1 11 Tf 14 TL 56 780 Td " + b" ".join(b"(" + _escape(line) + b") Tj T*" for line in lines) + b" ET"
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (font_id, content_id)
        )
        page_ids.append(len(objects))
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


STORY = [
    "Le matin, Marie ouvrit la fenêtre de sa chambre et regarda la rue où passaient déjà les premières voitures du marché.",
    "– Tu viens avec moi ? demanda son frère, qui attendait près de la porte avec un grand panier.",
    "Elle sourit, prit son manteau et descendit l'escalier en courant, car elle aimait ces matinées claires de printemps.",
    "Sur la place, les marchands criaient les prix des légumes, et les enfants couraient entre les étals en riant très fort.",
    "Ils achetèrent du pain, des pommes et un peu de fromage, puis ils s'assirent sur un banc pour regarder la foule.",
]


def story_pages(page_count: int, *, title: str = "Le Petit Marché") -> list[list[str]]:
    """A little book: a running header, wrapped paragraphs, a page number."""
    pages = []
    for number in range(1, page_count + 1):
        lines = [title]
        for i in range(3):
            sentence = STORY[(number + i) % len(STORY)]
            words = sentence.split()
            lines.extend(" ".join(words[j : j + 10]) for j in range(0, len(words), 10))
        lines.append(str(number))
        pages.append(lines)
    return pages


def write_story_pdf(path: Path, page_count: int) -> Path:
    path.write_bytes(make_pdf(story_pages(page_count)))
    return path
