from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.core.errors import ApplicationError
from brokers.base import BrokerAdapter, BrokerError
from brokers.registry import ADAPTERS, BROKER_CHOICES, get_adapter_class, is_available

from . import crypto
from .models import BrokerAccount, BrokerAccountStatus

log = logging.getLogger(__name__)

_DISPLAY = dict(BROKER_CHOICES)


def adapter_options(broker: str) -> dict[str, Any]:
    """Per-broker settings an adapter needs (API roots, the paper broker's Redis)."""
    options: dict[str, Any] = {"redis_url": settings.REDIS_URL}
    options.update(getattr(settings, "BROKER_OPTIONS", {}).get(broker, {}))
    return options


def build_adapter(*, broker: str, account_ref: str, credentials: dict[str, str]) -> BrokerAdapter:
    return get_adapter_class(broker)(account_ref=account_ref, credentials=credentials, options=adapter_options(broker))


def broker_adapter_for(account: BrokerAccount) -> BrokerAdapter:
    """The adapter of a stored account, credentials decrypted in memory only."""
    credentials = crypto.decrypt_mapping(account.credentials, user_id=account.user_id, broker=account.broker)
    return build_adapter(broker=account.broker, account_ref=str(account.pk), credentials=credentials)


def broker_account_connect(*, user: Any, broker: str, credentials: dict[str, Any], label: str | None = None) -> BrokerAccount:
    if broker not in _DISPLAY:
        raise ApplicationError.field("broker", f"Unknown broker {broker!r}.")
    if not is_available(broker):
        raise ApplicationError.field("broker", f"{_DISPLAY[broker]} is not available on this deployment yet.")
    adapter_cls = ADAPTERS[broker]
    shape_errors = adapter_cls.check_credential_shape(credentials)
    if shape_errors:
        raise ApplicationError(
            "Credentials are incomplete or malformed.",
            fields={f"credentials.{name}": msgs for name, msgs in shape_errors.items()},
        )
    clean = {k: str(v) for k, v in credentials.items() if v not in (None, "")}
    label = (label or "").strip() or _default_label(user=user, broker=broker)

    probe = build_adapter(broker=broker, account_ref=f"validate-{user.pk}", credentials=clean)
    try:
        check = probe.validate_credentials()
    except BrokerError as exc:
        # The adapter's message is ours (never echoes the secret); the raw reply is not shown.
        log.info("broker credential check failed", extra={"broker": broker, "user_id": user.pk, "kind": exc.kind})
        raise ApplicationError(
            f"{_DISPLAY[broker]} did not accept these credentials: {exc.message}",
            code="broker_credentials_rejected",
            fields={"credentials": [exc.message]},
        ) from exc

    try:
        with transaction.atomic():
            account = BrokerAccount.objects.create(
                user=user,
                broker=broker,
                label=label,
                status=BrokerAccountStatus.ACTIVE,
                credentials=crypto.encrypt_mapping(clean, user_id=user.pk, broker=broker),
                token_valid_until=check.token_valid_until,
            )
    except IntegrityError as exc:
        raise ApplicationError.field("label", "You already have a broker account with this label.") from exc
    log.info("broker account connected", extra={"broker": broker, "user_id": user.pk, "account_id": account.pk})
    return account


def _default_label(*, user: Any, broker: str) -> str:
    base = _DISPLAY[broker]
    taken = set(BrokerAccount.objects.filter(user=user, label__startswith=base).values_list("label", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"


def broker_account_delete(*, account: BrokerAccount) -> None:
    account.delete()


def broker_keys_rotate() -> tuple[int, int]:
    """Re-encrypt every credential with the active key. Returns (accounts, values) rewritten.

    Each row is re-sealed under a row lock, so a concurrent connect or edit is not lost.
    """
    ring = crypto.key_ring()
    accounts = values = 0
    for pk in BrokerAccount.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            account = BrokerAccount.objects.select_for_update().get(pk=pk)
            resealed: dict[str, str] = {}
            changed = 0
            for field, token in account.credentials.items():
                if crypto.key_id_of(token) == ring.active_id:
                    resealed[field] = token
                    continue
                plain = crypto.decrypt_value(token, user_id=account.user_id, broker=account.broker, field=field, ring=ring)
                resealed[field] = crypto.encrypt_value(
                    plain, user_id=account.user_id, broker=account.broker, field=field, ring=ring
                )
                changed += 1
            if changed:
                account.credentials = resealed
                account.save(update_fields=["credentials", "updated_at"])
                accounts += 1
                values += changed
    return accounts, values
