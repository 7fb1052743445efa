"""Notifications: write the row, tell the live stream, and queue delivery (email, Telegram).

Entry points for other apps:
    notify(user_id=..., kind=..., title=..., body=...)            one user
    notify_many(user_ids=[...], kind=..., title=..., body=...)    the same message to many
    notify_for_intent_changes([change, ...])                       the engine's order results
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx
import redis
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.broker_accounts.crypto import DecryptionError, decrypt_value, encrypt_value
from apps.core.errors import ApplicationError
from apps.core.redis import channel as pubsub_channel
from apps.core.redis import get_redis

from .models import Delivery, Notification, NotificationKind, NotificationSettings

log = logging.getLogger(__name__)

TELEGRAM_BINDING = {"broker": "telegram", "field": "bot_token"}
_TOKEN_SHAPE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,64}$")
DELETED_SUFFIX = "@deleted.invalid"


def notify(*, user_id: int, kind: str, title: str, body: str = "") -> Notification:
    """Record a notification for one user; delivery is queued once the transaction commits."""
    note = Notification.objects.create(user_id=user_id, kind=kind, title=title[:200], body=body[:4000])
    _after_create([note])
    return note


def notify_many(*, user_ids: Sequence[int], kind: str, title: str, body: str = "") -> list[int]:
    notes = Notification.objects.bulk_create(
        [Notification(user_id=uid, kind=kind, title=title[:200], body=body[:4000]) for uid in user_ids]
    )
    _after_create(notes)
    return [n.pk for n in notes]


def _after_create(notes: list[Notification]) -> None:
    if not notes:
        return
    from .tasks import deliver

    ids = [n.pk for n in notes]
    events = [(n.user_id, {"type": "notification", "id": n.pk, "kind": n.kind, "title": n.title}) for n in notes]

    def send() -> None:
        for start in range(0, len(ids), 200):
            deliver.apply_async(args=[ids[start : start + 200]], queue="default")
        try:
            pipe = get_redis().pipeline(transaction=False)
            for user_id, event in events:
                pipe.publish(pubsub_channel(f"user:{user_id}:updates"), json.dumps(event))
            pipe.execute()
        except redis.RedisError:
            log.warning("live notification events not published", exc_info=True)

    transaction.on_commit(send)


def _intent_message(change: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(kind, title, body) for an order result worth telling the trader, else None."""
    order = change["order"]
    status, side, leg, reason = order["status"], order["side"], order.get("leg"), order.get("reason")
    qty, symbol, price = order.get("quantity"), change.get("symbol") or order.get("symbol", ""), order.get("price")
    where = f"strategy #{change['strategy_id']}" if change.get("strategy_id") else "your strategy"
    if status == "FILLED":
        at = f" at {price}" if price not in (None, "") else ""
        if leg == "EXIT" and reason == "STOP_LOSS":
            return (
                NotificationKind.STOP_LOSS_HIT,
                f"Stop-loss hit: sold {qty} {symbol}{at}",
                f"The stop-loss of {where} closed the position.",
            )
        return NotificationKind.ORDER_FILLED, f"{side} {qty} {symbol} filled{at}", f"Order {order.get('tag', order['id'])} of {where}."
    if status in ("REJECTED", "FAILED"):
        error = order.get("last_error") or change.get("error") or ""
        return (
            NotificationKind.ORDER_FAILED,
            f"{side} {qty} {symbol} {status.lower()}",
            f"Order {order.get('tag', order['id'])} of {where}." + (f" {error}" if error else ""),
        )
    return None


def notify_for_intent_changes(changes: Iterable[Mapping[str, Any]]) -> int:
    """Notifications for order results, in one INSERT. Each change has the shape the engine
    gives apps.strategies.runtime.runtime_apply_orders: {user_id, strategy_id, symbol,
    order: {id, tag?, side, leg, reason, status, quantity, price, last_error?}}. Results that
    are not final (OPEN, UNKNOWN, ...) make none."""
    notes = []
    for change in changes:
        message = _intent_message(change)
        if message is not None:
            kind, title, body = message
            notes.append(Notification(user_id=change["user_id"], kind=kind, title=title[:200], body=body[:4000]))
    if notes:
        notes = Notification.objects.bulk_create(notes)
        _after_create(notes)
    return len(notes)


def notify_for_intent_change(change: Mapping[str, Any]) -> int:
    return notify_for_intent_changes([change])


# --- reading state ------------------------------------------------------------------------------


def notification_mark_read(*, user: Any, notification: Notification) -> Notification:
    if notification.user_id != user.pk:
        raise ApplicationError("Notification not found.", code="not_found", status=404)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- preferences ----------------------------------------------------------------------------------


def notification_settings_update(
    *,
    user: Any,
    email_enabled: bool | None = None,
    telegram_enabled: bool | None = None,
    telegram_chat_id: str | None = None,
    telegram_bot_token: str | None = None,
    muted_kinds: list[str] | None = None,
) -> NotificationSettings:
    """Change preferences; a bot token is sealed before it is stored ("" removes it)."""
    with transaction.atomic():
        prefs, _ = NotificationSettings.objects.select_for_update().get_or_create(user=user)
        fields: list[str] = []
        if email_enabled is not None:
            prefs.email_enabled = email_enabled
            fields.append("email_enabled")
        if telegram_chat_id is not None:
            chat = telegram_chat_id.strip()
            if chat and not re.fullmatch(r"-?\d{1,20}|@[A-Za-z0-9_]{5,32}", chat):
                raise ApplicationError.field("telegram_chat_id", "A numeric chat id or an @channel name.")
            prefs.telegram_chat_id = chat
            fields.append("telegram_chat_id")
        if telegram_bot_token is not None:
            token = telegram_bot_token.strip()
            if token and not _TOKEN_SHAPE.match(token):
                raise ApplicationError.field("telegram_bot_token", "Not a Telegram bot token (digits:letters).")
            prefs.telegram_bot_token = encrypt_value(token, user_id=user.pk, **TELEGRAM_BINDING) if token else ""
            fields.append("telegram_bot_token")
        if muted_kinds is not None:
            unknown = sorted(set(muted_kinds) - set(NotificationKind.values))
            if unknown:
                raise ApplicationError.field("muted_kinds", f"Unknown kinds: {', '.join(unknown)}.")
            prefs.muted_kinds = sorted(set(muted_kinds))
            fields.append("muted_kinds")
        if telegram_enabled is not None:
            prefs.telegram_enabled = telegram_enabled
            fields.append("telegram_enabled")
        if prefs.telegram_enabled and not (prefs.telegram_bot_token and prefs.telegram_chat_id):
            raise ApplicationError.field(
                "telegram_enabled", "Set telegram_bot_token and telegram_chat_id before turning Telegram on."
            )
        if fields:
            prefs.save(update_fields=[*fields, "updated_at"])
    return prefs


# --- delivery ---------------------------------------------------------------------------------------


def _claim(note_id: int, channel: str) -> bool:
    column = f"{channel}_status"
    return Notification.objects.filter(pk=note_id, **{column: Delivery.PENDING}).update(**{column: Delivery.SENDING}) == 1


def _finish(note_id: int, channel: str, state: str, error: str = "") -> None:
    changes: dict[str, Any] = {f"{channel}_status": state}
    if error:
        changes["delivery_error"] = error[:300]
    Notification.objects.filter(pk=note_id).update(**changes)


def _feature(name: str) -> bool:
    from apps.operations.selectors import feature_enabled

    return feature_enabled(name)


def _send_email(note: Notification, prefs: NotificationSettings | None) -> tuple[str, str]:
    user = note.user
    if (
        not _feature("email_notifications")
        or (prefs is not None and (not prefs.email_enabled or note.kind in prefs.muted_kinds))
        or not user.is_active
        or not user.email
        or user.email.endswith(DELETED_SUFFIX)
    ):
        return Delivery.SKIPPED, ""
    try:
        send_mail(f"[Algotrade] {note.title}", note.body or note.title, None, [user.email], fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any mail failure is recorded, never retried into a storm
        return Delivery.FAILED, f"email: {type(exc).__name__}"
    return Delivery.SENT, ""


def _send_telegram(note: Notification, prefs: NotificationSettings | None) -> tuple[str, str]:
    if (
        prefs is None
        or not prefs.telegram_enabled
        or not prefs.telegram_bot_token
        or not prefs.telegram_chat_id
        or note.kind in prefs.muted_kinds
        or not _feature("telegram_notifications")
    ):
        return Delivery.SKIPPED, ""
    try:
        token = decrypt_value(prefs.telegram_bot_token, user_id=note.user_id, **TELEGRAM_BINDING)
    except DecryptionError:
        return Delivery.FAILED, "telegram: stored bot token cannot be opened"
    url = f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{token}/sendMessage"
    text = f"{note.title}\n\n{note.body}" if note.body else note.title
    try:
        reply = httpx.post(
            url, json={"chat_id": prefs.telegram_chat_id, "text": text}, timeout=settings.TELEGRAM_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        # The URL holds the bot token: record the error's type only.
        return Delivery.FAILED, f"telegram: {type(exc).__name__}"
    if reply.status_code != 200:
        return Delivery.FAILED, f"telegram: HTTP {reply.status_code}"
    return Delivery.SENT, ""


def notification_deliver(*, notification_id: int) -> dict[str, str]:
    """Send one notification on each channel at most once (a channel is claimed PENDING ->
    SENDING first, so a second delivery of the task sends nothing)."""
    note = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if note is None:
        return {}
    prefs = NotificationSettings.objects.filter(user_id=note.user_id).first()
    outcome: dict[str, str] = {}
    for channel, send in (("email", _send_email), ("telegram", _send_telegram)):
        if not _claim(note.pk, channel):
            continue
        state, error = send(note, prefs)
        _finish(note.pk, channel, state, error)
        outcome[channel] = state
        if state == Delivery.FAILED:
            log.warning("notification delivery failed", extra={"notification": note.pk, "error": error})
    return outcome
