"""Log hygiene: scrub anything that looks like a credential before it is written."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(?P<key>Bearer\s+)(?P<q>)(?P<val>[A-Za-z0-9._\-]+)"),
    # key=value and "key": "value" for credential-like keys
    re.compile(
        r"""(?P<key>["']?(?:password|passwd|secret|api_secret|access_token|refresh_token|request_token|"""
        r"""token|authorization|totp|pin|jwt)["']?\s*[:=]\s*)(?P<q>["']?)(?P<val>[^"'\s,}&]+)""",
        re.IGNORECASE,
    ),
]


def scrub(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group('key')}{m.group('q')}***", text)
    return text


class SecretScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except Exception:  # noqa: BLE001 - a bad format string must not drop the line
                record.msg = str(record.msg)
            record.args = None
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and key not in {"msg", "name", "levelname", "pathname", "filename"}:
                record.__dict__[key] = scrub(value)
        return True
