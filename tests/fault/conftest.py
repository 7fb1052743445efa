"""The fault suite prints one table of its figures at the end of the run (`make faults`)."""

from __future__ import annotations

from typing import Any

from tests.fault.harness import RESULTS, table


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESULTS:
        terminalreporter.write_sep("=", "fault scenarios (counted at the paper broker)")
        terminalreporter.write_line(table(RESULTS))
