from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail

from apps.notifications import services, tasks
from apps.notifications.models import Notification, NotificationSettings
from apps.notifications.tasks import deliver

pytestmark = pytest.mark.django_db

BOT_TOKEN = "123456789:AAFakeTokenForTests_abcdefghijkl"


@pytest.fixture
def telegram(settings: Any) -> Iterator[list[dict[str, Any]]]:
    """A local stand-in for api.telegram.org: records each request, answers ok."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            seen.append({"path": self.path, "body": json.loads(self.rfile.read(length) or b"{}")})
            payload = b'{"ok": true, "result": {}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TELEGRAM_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield seen
    server.shutdown()
    server.server_close()


def test_notify_writes_the_row_and_queues_delivery_on_commit(
    alice: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(deliver, "apply_async", lambda args, queue: queued.append((args, queue)))
    with django_capture_on_commit_callbacks(execute=True):
        note = services.notify(user_id=alice.pk, kind="order_filled", title="BUY 10 TCS filled", body="at 3400")
    assert queued == [([[note.pk]], "default")]
    assert Notification.objects.get(pk=note.pk).email_status == "PENDING"


def test_email_is_sent_once_even_if_the_task_runs_twice(alice: Any) -> None:
    note = services.notify(user_id=alice.pk, kind="stop_loss_hit", title="Stop-loss hit", body="sold 10 TCS")
    assert tasks.deliver([note.pk]) == 2  # email sent, telegram skipped (not configured)
    assert tasks.deliver([note.pk]) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.test"] and "Stop-loss hit" in mail.outbox[0].subject
    note.refresh_from_db()
    assert (note.email_status, note.telegram_status) == ("SENT", "SKIPPED")


def test_muted_kinds_and_disabled_email_are_skipped(alice: Any, bob: Any) -> None:
    services.notification_settings_update(user=alice, muted_kinds=["order_filled"])
    services.notification_settings_update(user=bob, email_enabled=False)
    a = services.notify(user_id=alice.pk, kind="order_filled", title="t")
    b = services.notify(user_id=bob.pk, kind="order_failed", title="t")
    tasks.deliver([a.pk, b.pk])
    assert mail.outbox == []
    assert set(Notification.objects.values_list("email_status", flat=True)) == {"SKIPPED"}


def test_email_feature_flag_off_skips_email(alice: Any, admin_user: Any) -> None:
    from apps.operations.services import settings_update

    settings_update(actor=admin_user, values={"feature.email_notifications": False})
    tasks.deliver([services.notify(user_id=alice.pk, kind="token_expired", title="Log in again").pk])
    assert mail.outbox == []


def test_telegram_goes_to_the_stub_with_the_decrypted_token(api: Any, alice: Any, telegram: Any) -> None:
    r = api(alice).patch(
        "/api/notifications/settings",
        {"telegram_bot_token": BOT_TOKEN, "telegram_chat_id": "987654", "telegram_enabled": True},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["telegram_bot_token_set"] is True and "telegram_bot_token" not in r.json()
    stored = NotificationSettings.objects.get(user=alice).telegram_bot_token
    assert stored.startswith("v1:") and BOT_TOKEN not in stored
    note = services.notify(user_id=alice.pk, kind="kill_switch", title="Trading halted", body="exchange glitch")
    tasks.deliver([note.pk])
    assert telegram == [
        {"path": f"/bot{BOT_TOKEN}/sendMessage", "body": {"chat_id": "987654", "text": "Trading halted\n\nexchange glitch"}}
    ]
    note.refresh_from_db()
    assert note.telegram_status == "SENT"


def test_telegram_is_never_called_unless_configured(alice: Any, telegram: Any) -> None:
    services.notification_settings_update(user=alice, telegram_chat_id="987654")  # no token, not enabled
    tasks.deliver([services.notify(user_id=alice.pk, kind="order_filled", title="t").pk])
    assert telegram == []


def test_telegram_failure_is_recorded_without_the_token(alice: Any, settings: Any) -> None:
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    services.notification_settings_update(
        user=alice, telegram_bot_token=BOT_TOKEN, telegram_chat_id="1", telegram_enabled=True
    )
    note = services.notify(user_id=alice.pk, kind="order_failed", title="t")
    tasks.deliver([note.pk])
    note.refresh_from_db()
    assert note.telegram_status == "FAILED" and BOT_TOKEN not in note.delivery_error


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"telegram_enabled": True}, "telegram_enabled"),
        ({"telegram_bot_token": "nope"}, "telegram_bot_token"),
        ({"telegram_chat_id": "chat; drop"}, "telegram_chat_id"),
        ({"muted_kinds": ["spam"]}, "muted_kinds.0"),
        ({"email": False}, "email"),
    ],
)
def test_invalid_settings_name_the_field(api: Any, alice: Any, body: Any, field: str) -> None:
    r = api(alice).patch("/api/notifications/settings", body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]


def test_engine_results_become_the_right_kinds(alice: Any) -> None:
    base = {"user_id": alice.pk, "strategy_id": 7, "symbol": "TCS"}
    order = {"id": 1, "side": "BUY", "leg": "ENTRY", "reason": "SCHEDULED", "quantity": 10, "price": "3400.00"}
    made = services.notify_for_intent_changes(
        [
            base | {"order": order | {"status": "FILLED"}},
            base | {"order": order | {"id": 2, "side": "SELL", "leg": "EXIT", "reason": "STOP_LOSS", "status": "FILLED"}},
            base | {"order": order | {"id": 3, "status": "REJECTED", "last_error": "margin"}},
            base | {"order": order | {"id": 4, "status": "OPEN"}},
        ]
    )
    assert made == 3
    rows = list(Notification.objects.order_by("id").values_list("kind", "title"))
    assert rows == [
        ("order_filled", "BUY 10 TCS filled at 3400.00"),
        ("stop_loss_hit", "Stop-loss hit: sold 10 TCS at 3400.00"),
        ("order_failed", "BUY 10 TCS rejected"),
    ]


# --- the in-app list ----------------------------------------------------------------------------


def test_list_mark_read_and_read_all(api: Any, alice: Any) -> None:
    first = services.notify(user_id=alice.pk, kind="order_filled", title="one")
    services.notify(user_id=alice.pk, kind="order_failed", title="two")
    client = api(alice)
    body = client.get("/api/notifications").json()
    assert body["count"] == 2 and body["unread"] == 2 and [n["title"] for n in body["results"]] == ["two", "one"]
    r = client.post(f"/api/notifications/{first.pk}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert client.get("/api/notifications", {"unread": "true"}).json()["count"] == 1
    assert client.get("/api/notifications", {"kind": "order_filled"}).json()["results"][0]["id"] == first.pk
    assert client.post("/api/notifications/read-all").json() == {"marked": 1}
    assert client.get("/api/notifications").json()["unread"] == 0


def test_ownership_bob_cannot_see_or_mark_alices(api: Any, alice: Any, bob: Any) -> None:
    note = services.notify(user_id=alice.pk, kind="order_filled", title="alice's")
    assert api(bob).get("/api/notifications").json()["count"] == 0
    r = api(bob).post(f"/api/notifications/{note.pk}/read")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api(bob).post("/api/notifications/read-all").json() == {"marked": 0}
    note.refresh_from_db()
    assert note.read_at is None
    assert api(None).get("/api/notifications").status_code == 401
    assert api(None).get("/api/notifications/settings").status_code == 401
