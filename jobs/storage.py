"""Uploaded PDFs through Django's storage API: on the filesystem by default,
in S3-compatible object storage when configured (settings.STORAGES), so that
web and worker machines need no shared folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models.fields.files import FieldFile

COPY_BUFFER_BYTES = 1 << 20


@contextmanager
def local_path(upload: FieldFile) -> Iterator[str]:
    """A path that pypdf's child process can open (it takes a path, not a
    stream): the file itself on a filesystem storage; otherwise a temporary
    copy of the object, removed when the block ends."""
    try:
        path = upload.storage.path(upload.name)
    except NotImplementedError:  # object storage has no local path
        path = None
    if path is not None:
        yield path
        return
    copy = tempfile.NamedTemporaryFile(prefix="novelproc-", suffix=".pdf", delete=False)
    try:
        with copy, upload.storage.open(upload.name, "rb") as source:
            shutil.copyfileobj(source, copy, COPY_BUFFER_BYTES)
        yield copy.name
    finally:
        os.remove(copy.name)
