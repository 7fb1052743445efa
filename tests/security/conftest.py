"""The security suite prints its figures at the end of the run (`make security`)."""

from __future__ import annotations

from typing import Any

from tests.security.helpers import SUMMARY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SUMMARY:
        terminalreporter.write_sep("=", "security suite")
        for line in SUMMARY:
            terminalreporter.write_line(line)
