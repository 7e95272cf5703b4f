"""Where uploaded and generated files live: a folder (UPLOAD_ROOT) by default.

Files are stored under random keys chosen here, never under a name from the client, and are
served only through views that decide who may see them.
"""
import os
import secrets
from pathlib import Path

from flask import current_app

_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_./")


def _root() -> Path:
    return Path(current_app.config["UPLOAD_ROOT"])


def _path(key: str) -> Path:
    if not key or not set(key) <= _KEY_CHARS or ".." in key or key.startswith("/"):
        raise ValueError("invalid storage key")
    return _root() / key


def save(data: bytes, folder: str, extension: str) -> str:
    """Store `data` under a new random key in `folder`; return the key."""
    key = f"{folder}/{secrets.token_hex(16)}.{extension}"
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return key


def read(key: str) -> bytes:
    return _path(key).read_bytes()


def delete(key: str | None) -> None:
    if key:
        _path(key).unlink(missing_ok=True)
