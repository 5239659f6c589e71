"""Photo files under ``PHOTO_STORAGE_DIR``, named by the SHA-256 of their bytes.

``originals/`` keeps what the phone sent (never served), ``cleaned/`` and ``thumbnails/``
what the endpoints serve. Content-addressed names make writes idempotent: writing the same
bytes twice yields the same file. Writes go through a temporary file and a rename, so a
reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app

KINDS = ("originals", "cleaned", "thumbnails")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _root() -> Path:
    return Path(current_app.config["PHOTO_STORAGE_DIR"])


def path_for(kind: str, digest: str) -> Path:
    if kind not in KINDS or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise ValueError("bad photo file reference")
    return _root() / kind / digest[:2] / digest


def write(kind: str, data: bytes) -> str:
    digest = sha256(data)
    target = path_for(kind, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return digest


def read(kind: str, digest: str) -> bytes | None:
    path = path_for(kind, digest)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
