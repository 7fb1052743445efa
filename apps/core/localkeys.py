"""Per-checkout keys for the self-hosted profile, created once under .data/ (mode 0600)."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def _read_or_create(path: Path, make: bytes) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(make.decode())
    return make.decode().strip()


def local_secret(path: Path, *, nbytes: int) -> str:
    try:
        return _read_or_create(path, secrets.token_urlsafe(nbytes).encode())
    except FileExistsError:  # another process created it first
        return path.read_text().strip()


def local_credential_keys(path: Path) -> str:
    value = "local1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    try:
        return _read_or_create(path, value.encode())
    except FileExistsError:
        return path.read_text().strip()
