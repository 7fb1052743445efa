from __future__ import annotations

import logging

from apps.core.logging import SecretScrubFilter, scrub


def test_scrub_masks_credential_shapes() -> None:
    line = 'login {"password": "hunter2", "api_secret": "abc123"} access_token=tok.en.x Authorization: Bearer eyJabc.def'
    out = scrub(line)
    for secret in ("hunter2", "abc123", "tok.en.x", "eyJabc.def"):
        assert secret not in out
    assert "login" in out


def test_filter_scrubs_args_and_extras() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("zzz-secret",), None)
    record.detail = "password=p4ss"
    assert SecretScrubFilter().filter(record)
    assert "zzz-secret" not in record.getMessage()
    assert "p4ss" not in record.detail
