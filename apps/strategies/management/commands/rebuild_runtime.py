from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.strategies.calendar import trading_day_of
from apps.strategies.runtime import runtime_rebuild


class Command(BaseCommand):
    help = "Rewrite the Redis runtime (strategy:, runtime:, symbol:, sl: keys) from PostgreSQL."

    def handle(self, *args: object, **options: object) -> None:
        count = runtime_rebuild(today=trading_day_of(timezone.now()))
        self.stdout.write(f"runtime rebuilt for {count} strategies")
