"""Reading an .apkg as Anki does: a zip holding the SQLite collection `collection.anki2`."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AnkiNote:
    id: int
    guid: str
    model_id: int
    fields: list[str]
    tags: list[str]


@dataclass(frozen=True)
class Collection:
    decks: dict[int, str]  # id → name (Anki's default deck, 1, included)
    models: dict[int, list[str]]  # id → field names
    notes: list[AnkiNote]
    cards: list[tuple[int, int, int]]  # (card id, note id, deck id)


def read_apkg(content: bytes) -> Collection:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "collection.anki2" in archive.namelist(), archive.namelist()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "collection.anki2"
            path.write_bytes(archive.read("collection.anki2"))
            with sqlite3.connect(path) as db:
                decks_json, models_json = db.execute("SELECT decks, models FROM col").fetchone()
                notes = [
                    AnkiNote(id, guid, mid, flds.split("\x1f"), tags.split())
                    for id, guid, mid, flds, tags in db.execute(
                        "SELECT id, guid, mid, flds, tags FROM notes ORDER BY id"
                    )
                ]
                cards = list(db.execute("SELECT id, nid, did FROM cards ORDER BY id"))
            db.close()
    decks = {int(key): deck["name"] for key, deck in json.loads(decks_json).items()}
    models = {int(key): [field["name"] for field in model["flds"]] for key, model in json.loads(models_json).items()}
    return Collection(decks=decks, models=models, notes=notes, cards=cards)
