"""Property test of the intent lifecycle: duplicate, reordered and crashed deliveries against a
broker that loses replies and times out. Whatever happens, no tag reaches the broker twice, and
once the sweeper has run every intent is final and matches what the broker holds."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from apps.orders import engine
from apps.orders.models import FINAL_STATUSES, IntentStatus, OrderIntent
from brokers.paper import clear_faults, paper_tag_counts, set_faults

pytestmark = pytest.mark.django_db(transaction=True)
LEGS = st.sampled_from(["ENTRY", "EXIT"])


class IntentLifecycle(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        from apps.accounts.models import User
        from apps.broker_accounts.services import broker_account_connect, broker_adapter_for
        from apps.strategies.services import strategy_create, strategy_start

        user = User.objects.create_user(email=f"sm-{uuid.uuid4().hex[:10]}@example.test", password="x")
        self.account = broker_account_connect(user=user, broker="paper", credentials={})
        self.ref = str(self.account.pk)
        self.adapter = broker_adapter_for(self.account)
        self.strategies = [
            strategy_start(
                strategy=strategy_create(
                    user=user, name=f"s{i}", symbol="INFY", quantity=1 + i, buy_time=dt.time(9, 20),
                    sell_time=dt.time(15, 0), stop_loss=Decimal("100"), broker_account=self.account.pk,
                )
            ).pk
            for i in range(3)
        ]
        set_faults(django_settings.REDIS_URL, self.ref, timeout_ms=1)

    def _day(self) -> dt.date:
        from apps.strategies.calendar import trading_day_of

        return trading_day_of(timezone.now())

    def _create(self, index: int, leg: str) -> list[int]:
        return engine.intents_create(
            leg=leg, strategy_ids=[self.strategies[index]], trading_day=self._day(), reason="SCHEDULED", due_at=None
        )

    @rule(index=st.integers(0, 2), leg=LEGS)
    def trigger(self, index: int, leg: str) -> None:
        engine.legs_fire(leg=leg, strategy_ids=[self.strategies[index]], due_at=timezone.now())

    @rule(index=st.integers(0, 2), leg=LEGS)
    def crash_after_claim(self, index: int, leg: str) -> None:
        ids = self._create(index, leg)
        engine._claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True)

    @rule(index=st.integers(0, 2), leg=LEGS)
    def crash_after_send(self, index: int, leg: str) -> None:
        ids = self._create(index, leg)
        _, claimed = engine._claim(
            "id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True
        )
        for intent in claimed:
            try:
                self.adapter.submit(engine._request_for(intent))
            except Exception:  # noqa: BLE001,S110 - the worker "dies" here whatever the reply was
                pass

    @rule()
    def redeliver_everything(self) -> None:
        ids = list(OrderIntent.objects.filter(strategy_id__in=self.strategies).values_list("id", flat=True))
        engine.intents_execute(ids[::-1])  # reordered as well as repeated

    @rule()
    def leases_expire_and_sweep(self) -> None:
        OrderIntent.objects.filter(strategy_id__in=self.strategies, status=IntentStatus.SUBMITTING).update(
            claimed_at=timezone.now() - dt.timedelta(hours=1)
        )
        OrderIntent.objects.filter(strategy_id__in=self.strategies, status=IntentStatus.UNKNOWN).update(
            updated_at=timezone.now() - dt.timedelta(hours=1)
        )
        engine.intents_sweep()

    @rule(lose=st.sampled_from([0, 0.5, 1]), timeout=st.sampled_from([0, 0.5]))
    def broker_weather(self, lose: float, timeout: float) -> None:
        set_faults(django_settings.REDIS_URL, self.ref, lose_reply_rate=lose, timeout_rate=timeout)

    @invariant()
    def no_tag_reaches_the_broker_twice(self) -> None:
        if hasattr(self, "ref"):
            counts = paper_tag_counts(django_settings.REDIS_URL, self.ref)
            assert all(n == 1 for n in counts.values()), counts

    @invariant()
    def exits_only_after_a_filled_entry(self) -> None:
        if hasattr(self, "strategies"):
            for intent in OrderIntent.objects.filter(strategy_id__in=self.strategies, leg="EXIT"):
                entry = OrderIntent.objects.get(strategy_id=intent.strategy_id, trading_day=intent.trading_day, leg="ENTRY")
                assert entry.status == IntentStatus.FILLED

    def teardown(self) -> None:
        if not hasattr(self, "ref"):
            return
        clear_faults(django_settings.REDIS_URL, self.ref)
        for _ in range(10):
            self.leases_expire_and_sweep()
            new = OrderIntent.objects.filter(strategy_id__in=self.strategies, status=IntentStatus.NEW)
            engine.intents_execute(list(new.values_list("id", flat=True)))
        counts = paper_tag_counts(django_settings.REDIS_URL, self.ref)
        for intent in OrderIntent.objects.filter(strategy_id__in=self.strategies):
            assert intent.status in FINAL_STATUSES, intent
            expected = 1 if intent.status == IntentStatus.FILLED else 0
            assert counts.get(intent.tag, 0) == expected, (intent, counts)


def test_intent_lifecycle_state_machine() -> None:
    run_state_machine_as_test(
        IntentLifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
