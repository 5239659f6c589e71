"""Uploaded list files under ``MATCHING_FILE_DIR``, named by the SHA-256 of their bytes.

Written by streaming (a list may be hundreds of megabytes) through a temporary file and a
rename; read by the import job; removed with the raw rows when the list is purged.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import current_app

_CHUNK = 1024 * 1024


def _root() -> Path:
    return Path(current_app.config["MATCHING_FILE_DIR"])


def path_for(digest: str) -> Path:
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise ValueError("bad list file reference")
    return _root() / digest[:2] / digest


def save(stream: BinaryIO) -> tuple[Path, str, int]:
    """A temporary copy of the stream, its SHA-256 and its size (``keep`` names it)."""
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
    with os.fdopen(fd, "wb") as handle:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    os.chmod(tmp, 0o600)
    return Path(tmp), digest.hexdigest(), size


def keep(tmp: Path, digest: str) -> Path:
    target = path_for(digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    return target


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def copy_in(source: Path) -> tuple[Path, str, int]:
    """``save`` for a file on disk (the CLI)."""
    with source.open("rb") as handle:
        return save(handle)


def remove(digest: str) -> None:
    """The stored file, if no other list still needs it (callers check)."""
    path_for(digest).unlink(missing_ok=True)
