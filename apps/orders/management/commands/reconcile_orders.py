"""Make today's OPEN / UNKNOWN / stale SUBMITTING intents agree with the brokers.

Run it at start-up before the order workers consume (docker/compose.yaml runs it as a
one-shot service the workers wait for), and whenever in doubt. Safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.orders.reconcile import orders_reconcile


class Command(BaseCommand):
    help = "Reconcile today's non-final order intents with the brokers (looked up by tag)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None, help="Trading day (default: today, IST).")
        parser.add_argument(
            "--include-fresh-claims",
            action="store_true",
            help="Also take over SUBMITTING intents claimed less than ORDER_CLAIM_LEASE_SECONDS ago. "
            "Only when no order worker can be running (a paused worker would send after this looked).",
        )
        parser.add_argument(
            "--audit-duplicates",
            action="store_true",
            help="Also look up today's final intents, only to report tags the broker holds more than once.",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = orders_reconcile(
            trading_day=options["day"],
            include_fresh_claims=options["include_fresh_claims"],
            audit_duplicates=options["audit_duplicates"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), default=str))
            return
        changed = ", ".join(f"{k} {v}" for k, v in sorted(report.changed.items())) or "none"
        self.stdout.write(
            f"reconciled {report.checked} intents of {report.trading_day} in {report.seconds:.2f} s: "
            f"changed {changed}; unchanged {report.unchanged}; queued again {len(report.resent)}; "
            f"failed {len(report.failed)}; lookup failed {len(report.unreachable)}; "
            f"missing at broker {len(report.missing_at_broker)}; duplicate tags {len(report.duplicates)}; "
            f"fresh claims skipped {report.skipped_fresh_claims}; open from earlier days {report.earlier_days_open}"
        )
