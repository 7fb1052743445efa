"""Regenerate apps/playground/data/sample_minute_bars.csv.gz (deterministic: same bytes every time)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.playground.bars import SAMPLE_PATH, sample_csv_bytes


class Command(BaseCommand):
    help = "Write the bundled playground sample (2 symbols x 60 trading days of minute bars)."

    def handle(self, *args: Any, **options: Any) -> None:
        data = sample_csv_bytes()
        SAMPLE_PATH.parent.mkdir(parents=True, exist_ok=True)
        SAMPLE_PATH.write_bytes(data)
        self.stdout.write(f"wrote {SAMPLE_PATH} ({len(data)} bytes)")
