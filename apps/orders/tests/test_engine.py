"""The execution engine against the paper broker, with real PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.orders import engine
from apps.orders.models import IntentStatus, OrderEvent, OrderIntent
from apps.strategies.models import Strategy

pytestmark = pytest.mark.django_db(transaction=True)


def _fire(leg: str, *strategies: Any) -> int:
    return engine.legs_fire(leg=leg, strategy_ids=[s.pk for s in strategies], due_at=timezone.now())


def test_entry_places_exactly_one_order_and_fills(running_strategy: Any, broker_orders: Any) -> None:
    s = running_strategy()
    assert _fire("ENTRY", s) == 1
    intent = OrderIntent.objects.get(strategy=s)
    assert (intent.status, intent.side, intent.filled_quantity) == (IntentStatus.FILLED, "BUY", 5)
    assert intent.average_price is not None and intent.broker_order_id
    assert broker_orders() == {intent.tag: 1}
    # A second delivery of the same trigger is a no-op.
    assert _fire("ENTRY", s) == 0
    assert broker_orders() == {intent.tag: 1}
    kinds = list(OrderEvent.objects.filter(intent=intent).values_list("kind", flat=True))
    assert kinds == ["CREATED", "CLAIMED", "RESULT"]


def test_sell_without_position_places_nothing(running_strategy: Any, broker_orders: Any) -> None:
    s = running_strategy()
    assert _fire("EXIT", s) == 0
    assert not OrderIntent.objects.filter(strategy=s).exists()
    assert broker_orders() == {}


def test_buy_then_sell_closes_the_position(running_strategy: Any, broker_orders: Any) -> None:
    s = running_strategy()
    _fire("ENTRY", s)
    _fire("EXIT", s)
    legs = {i.leg: i for i in OrderIntent.objects.filter(strategy=s)}
    assert legs["EXIT"].status == IntentStatus.FILLED and legs["EXIT"].side == "SELL"
    assert legs["EXIT"].quantity == legs["ENTRY"].filled_quantity
    assert sorted(broker_orders().values()) == [1, 1]


def test_failed_buy_means_no_sell(running_strategy: Any, faults: Any, broker_orders: Any) -> None:
    s = running_strategy()
    faults(reject_rate=1)
    _fire("ENTRY", s)
    assert OrderIntent.objects.get(strategy=s).status == IntentStatus.REJECTED
    faults(reject_rate=0)
    assert _fire("EXIT", s) == 0
    assert not OrderIntent.objects.filter(strategy=s, leg="EXIT").exists()
    assert _fire("ENTRY", s) == 0  # a rejected buy is final for the day: never retried


def test_stopped_strategy_does_not_buy_but_still_sells(running_strategy: Any) -> None:
    from apps.strategies.services import strategy_stop

    s = running_strategy()
    other = running_strategy()
    _fire("ENTRY", s)
    strategy_stop(strategy=s)
    strategy_stop(strategy=other)
    assert _fire("ENTRY", other) == 0
    assert _fire("EXIT", s) == 1  # the open position is still closed


def test_fifty_simultaneous_triggers_place_one_order(running_strategy: Any, broker_orders: Any) -> None:
    s = running_strategy()
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def trigger() -> None:
        try:
            barrier.wait()
            _fire("ENTRY", s)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert OrderIntent.objects.filter(strategy=s).count() == 1
    assert list(broker_orders().values()) == [1]


def test_lost_replies_are_resolved_by_tag_without_duplicates(running_strategy: Any, faults: Any, broker_orders: Any) -> None:
    strategies = [running_strategy() for _ in range(40)]
    faults(lose_reply_rate=0.3)
    _fire("ENTRY", *strategies)
    intents = list(OrderIntent.objects.filter(strategy__in=strategies))
    assert len(intents) == 40
    assert {i.status for i in intents} == {IntentStatus.FILLED}
    counts = broker_orders()
    assert len(counts) == 40 and set(counts.values()) == {1}
    # Some replies really were lost and found again by tag.
    looked_up = OrderEvent.objects.filter(intent__in=intents, kind="RESULT", detail__found_at_broker=1).count()
    assert looked_up > 0


def test_timeouts_resend_only_when_absent_then_fail_after_three(running_strategy: Any, faults: Any, broker_orders: Any) -> None:
    s = running_strategy()
    faults(timeout_rate=1, timeout_ms=1)
    _fire("ENTRY", s)
    intent = OrderIntent.objects.get(strategy=s)
    assert (intent.status, intent.attempts) == (IntentStatus.NEW, 1)  # confirmed absent: queued again
    engine.intents_execute([intent.pk])
    engine.intents_execute([intent.pk])
    intent.refresh_from_db()
    assert (intent.status, intent.attempts) == (IntentStatus.FAILED, 3)
    assert "gave up after 3 attempts" in intent.last_error
    s.refresh_from_db()
    assert s.status == "ERROR" and intent.tag in s.status_reason
    assert broker_orders() == {}
    assert engine.intents_execute([intent.pk]) == 0


def test_expired_token_fails_at_once_and_asks_for_login(running_strategy: Any, faults: Any, paper_account: Any) -> None:
    s = running_strategy()
    faults(token_expired=1)
    _fire("ENTRY", s)
    intent = OrderIntent.objects.get(strategy=s)
    assert intent.status == IntentStatus.FAILED and intent.attempts == 1
    paper_account.refresh_from_db()
    s.refresh_from_db()
    assert paper_account.status == "NEEDS_LOGIN"
    assert s.status == "ERROR" and "re-login" in s.status_reason


def test_sweeper_resolves_a_claim_abandoned_after_the_send(running_strategy: Any, paper_account: Any, broker_orders: Any) -> None:
    """A worker died between the broker accepting and us recording: the sweeper finds the order by tag."""
    from apps.broker_accounts.services import broker_adapter_for

    s = running_strategy()
    ids = engine.intents_create(leg="ENTRY", strategy_ids=[s.pk], trading_day=timezone.localdate(), reason="SCHEDULED", due_at=None)
    _, claimed = engine._claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True)
    broker_adapter_for(paper_account).submit(engine._request_for(claimed[0]))  # ...and the worker dies here
    OrderIntent.objects.filter(pk=ids[0]).update(claimed_at=timezone.now() - dt.timedelta(minutes=5))

    assert engine.intents_sweep() == {"requeued": 0, "resolved": 1, "caught_up": 0}
    intent = OrderIntent.objects.get(pk=ids[0])
    assert intent.status == IntentStatus.FILLED
    assert broker_orders() == {intent.tag: 1}


def test_sweeper_resends_a_claim_abandoned_before_the_send(running_strategy: Any, broker_orders: Any) -> None:
    s = running_strategy()
    ids = engine.intents_create(leg="ENTRY", strategy_ids=[s.pk], trading_day=timezone.localdate(), reason="SCHEDULED", due_at=None)
    engine._claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True)
    OrderIntent.objects.filter(pk=ids[0]).update(claimed_at=timezone.now() - dt.timedelta(minutes=5))
    # A live claim is left alone.
    assert engine.intents_sweep(now=timezone.now() - dt.timedelta(minutes=10))["resolved"] == 0
    assert engine.intents_sweep()["resolved"] == 1
    assert OrderIntent.objects.get(pk=ids[0]).status == IntentStatus.NEW  # confirmed absent: sent again
    engine.intents_execute(ids)
    intent = OrderIntent.objects.get(pk=ids[0])
    assert intent.status == IntentStatus.FILLED
    assert broker_orders() == {intent.tag: 1}


def test_a_send_lost_with_its_worker_is_not_an_attempt(running_strategy: Any, broker_orders: Any, settings: Any) -> None:
    """Claims taken over after their worker died, the order absent each time: the order is sent
    again every time without spending ORDER_MAX_ATTEMPTS, until ORDER_MAX_LOST_SENDS."""
    settings.ORDER_MAX_LOST_SENDS = 4
    s = running_strategy()
    ids = engine.intents_create(leg="ENTRY", strategy_ids=[s.pk], trading_day=timezone.localdate(), reason="SCHEDULED", due_at=None)
    for lost in range(1, 4):
        engine._claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True)  # ...worker dies
        OrderIntent.objects.filter(pk=ids[0]).update(claimed_at=timezone.now() - dt.timedelta(minutes=5))
        assert engine.intents_sweep()["resolved"] == 1
        intent = OrderIntent.objects.get(pk=ids[0])
        assert (intent.status, intent.attempts, intent.lost_sends) == (IntentStatus.NEW, 0, lost)
    engine._claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True)
    OrderIntent.objects.filter(pk=ids[0]).update(claimed_at=timezone.now() - dt.timedelta(minutes=5))
    engine.intents_sweep()
    intent = OrderIntent.objects.get(pk=ids[0])
    assert (intent.status, intent.lost_sends) == (IntentStatus.FAILED, 4)
    assert broker_orders() == {}
    kinds = list(OrderEvent.objects.filter(intent_id=ids[0], kind="ABSENT").values_list("detail", flat=True))
    assert len(kinds) == 4 and all(d.get("lost_send") for d in kinds)


def test_sweeper_waits_for_the_lease_and_the_send_timeout_before_taking_over(
    running_strategy: Any, settings: Any
) -> None:
    """Within lease + send timeout a request written at the end of the lease may still reach
    the broker: "absent" would mean nothing yet, so the claim is left alone until then."""
    settings.ORDER_CLAIM_LEASE_SECONDS, settings.ORDER_SEND_TIMEOUT_SECONDS = 30, 10
    s = running_strategy()
    ids = engine.intents_create(leg="ENTRY", strategy_ids=[s.pk], trading_day=timezone.localdate(), reason="SCHEDULED", due_at=None)
    engine._claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True)
    now = timezone.now()
    assert engine.intents_sweep(now=now + dt.timedelta(seconds=35))["resolved"] == 0  # past the lease only
    assert OrderIntent.objects.get(pk=ids[0]).status == IntentStatus.SUBMITTING
    assert engine.intents_sweep(now=now + dt.timedelta(seconds=41))["resolved"] == 1


def test_a_send_whose_window_closed_is_not_made(running_strategy: Any, broker_orders: Any) -> None:
    """A worker that stalled between claiming and sending past its window refuses to send:
    the order goes back to NEW with no attempt spent, and is sent by the next delivery."""
    import time

    s = running_strategy()
    ids = engine.intents_create(leg="ENTRY", strategy_ids=[s.pk], trading_day=timezone.localdate(), reason="SCHEDULED", due_at=None)
    token, claimed = engine._claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": ids}, bump_attempts=True)
    engine._run(claimed, token, lookup_only=False, send_before=time.monotonic() - 0.001)  # the window closed
    assert broker_orders() == {}
    intent = OrderIntent.objects.get(pk=ids[0])
    assert (intent.status, intent.attempts) == (IntentStatus.NEW, 0)
    assert OrderEvent.objects.filter(intent_id=ids[0], kind="NOT_SENT").count() == 1
    engine.intents_execute(ids)
    intent = OrderIntent.objects.get(pk=ids[0])
    assert intent.status == IntentStatus.FILLED and broker_orders() == {intent.tag: 1}


def test_order_events_are_append_only(running_strategy: Any) -> None:
    from django.db import InternalError, ProgrammingError, transaction

    s = running_strategy()
    _fire("ENTRY", s)
    event = OrderEvent.objects.filter(intent__strategy=s).first()
    for action in (lambda: OrderEvent.objects.filter(pk=event.pk).update(kind="X"), lambda: event.delete()):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            action()


def test_runtime_mirrors_the_position(running_strategy: Any) -> None:
    from apps.core.redis import get_redis

    s = running_strategy()
    r = get_redis()
    assert r.hget(f"runtime:{s.pk}", "position") == "FLAT"
    assert str(s.pk) in r.smembers("symbol:TCS:strategies")
    _fire("ENTRY", s)
    assert r.hget(f"runtime:{s.pk}", "position") == "LONG"
    assert r.zscore("sl:TCS", str(s.pk)) == 3000.0
    _fire("EXIT", s)
    assert r.hget(f"runtime:{s.pk}", "position") == "CLOSED"
    assert r.zscore("sl:TCS", str(s.pk)) is None


def test_rebuild_runtime_restores_redis_from_postgres(running_strategy: Any) -> None:
    from django.core.management import call_command

    from apps.core.redis import get_redis

    s = running_strategy()
    _fire("ENTRY", s)
    r = get_redis()
    r.flushdb()
    call_command("rebuild_runtime")
    assert r.hget(f"runtime:{s.pk}", "position") == "LONG"
    assert r.hget(f"strategy:{s.pk}", "status") == Strategy.objects.get(pk=s.pk).status
    assert r.zscore("sl:TCS", str(s.pk)) == 3000.0


def test_sweeper_catches_up_a_leg_whose_fire_was_lost(running_strategy: Any, broker_orders: Any) -> None:
    from apps.strategies.calendar import now_ist

    moment = now_ist().replace(microsecond=0) - dt.timedelta(seconds=20)
    if moment.time() < dt.time(0, 2):
        pytest.skip("too close to midnight for a same-day window")
    s = running_strategy(buy_time=moment.time(), sell_time=dt.time(23, 59, 59))
    later = running_strategy(buy_time=(moment + dt.timedelta(minutes=5)).time(), sell_time=dt.time(23, 59, 59))
    assert engine.intents_sweep()["caught_up"] == 1
    assert OrderIntent.objects.get(strategy=s).status == IntentStatus.FILLED
    assert not OrderIntent.objects.filter(strategy=later).exists()
    assert engine.intents_sweep()["caught_up"] == 0  # idempotent
    assert len(broker_orders()) == 1


def test_global_kill_switch_stops_every_entry_even_already_queued(
    running_strategy: Any, make_user: Any, broker_orders: Any
) -> None:
    from apps.operations.services import kill_switch_engage

    strategies = [running_strategy() for _ in range(100)]
    held, waiting = strategies[:50], strategies[50:]
    _fire("ENTRY", *held)  # positions open when the switch is thrown
    queued = engine.intents_create(
        leg="ENTRY", strategy_ids=[s.pk for s in waiting], trading_day=timezone.localdate(), reason="SCHEDULED",
        due_at=None,
    )  # written and queued, not yet sent
    before = dict(broker_orders())
    assert len(before) == 50 and len(queued) == 50

    kill_switch_engage(actor=make_user("admin"), scope="global", reason="exchange glitch")

    assert engine.intents_execute(queued) == 50  # claimed, and every one refused before the broker
    assert set(OrderIntent.objects.filter(pk__in=queued).values_list("status", flat=True)) == {IntentStatus.CANCELLED}
    assert engine.legs_fire(leg="ENTRY", strategy_ids=[s.pk for s in strategies], due_at=timezone.now()) == 0
    assert broker_orders() == before  # 0 new orders

    # Exits still close positions: a stop-loss during a halt is not left unprotected.
    from apps.orders.tasks import stop_loss

    stop_loss(held[0].pk, "3000", timezone.now().timestamp())
    assert OrderIntent.objects.get(strategy=held[0], leg="EXIT").status == IntentStatus.FILLED
