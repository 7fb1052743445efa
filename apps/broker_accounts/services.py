from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import ApplicationError, Conflict, NotFound
from brokers.base import BrokerAdapter, BrokerError, ErrorKind
from brokers.common import jwt_expiry
from brokers.registry import ADAPTERS, BROKER_CHOICES, get_adapter_class, is_available

from . import crypto, login
from .models import BrokerAccount, BrokerAccountStatus

log = logging.getLogger(__name__)

_DISPLAY = dict(BROKER_CHOICES)

# How each broker gets a fresh session:
#   redirect  the user logs in at the broker, which redirects to our callback with a one-time
#             code (Kite request_token, Fyers auth_code); we exchange it for the access token
#   totp      the adapter logs in by itself with the stored PIN and TOTP seed (Angel One)
#   token     the user pastes a new access token from the broker's portal (Dhan, 24 h)
#   none      nothing to log in to (paper)
LOGIN_METHODS = {"zerodha": "redirect", "fyers": "redirect", "angelone": "totp", "dhan": "token", "paper": "none"}
# Their adapters renew sessions themselves: there is no daily token for the user to renew.
SELF_RENEWING = frozenset({"paper", "angelone"})
# Credential whose absence means "log in through the broker's redirect first".
_SESSION_FIELD = {"zerodha": "access_token", "fyers": "access_token"}
# Credentials the redirect login itself needs (besides the session).
_LOGIN_NEEDS = {"zerodha": ("api_key", "api_secret"), "fyers": ("app_id", "secret_key")}


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
    """Store a broker account. Brokers that log in through a redirect (Zerodha, Fyers) may be
    connected with their app credentials only: the account is NEEDS_LOGIN until the login flow
    (broker_account_login_start / broker_login_complete) brings the session. Otherwise the
    credentials are proven with the broker first."""
    if broker not in _DISPLAY:
        raise ApplicationError.field("broker", f"Unknown broker {broker!r}.")
    if not is_available(broker):
        raise ApplicationError.field("broker", f"{_DISPLAY[broker]} is not available on this deployment yet.")
    clean = _checked_credentials(broker=broker, credentials=credentials)
    label = (label or "").strip() or _default_label(user=user, broker=broker)

    needs_login = _SESSION_FIELD.get(broker) is not None and not clean.get(_SESSION_FIELD[broker])
    now = timezone.now()
    if needs_login:
        status, reason, valid_until = BrokerAccountStatus.NEEDS_LOGIN, f"Log in to {_DISPLAY[broker]} to finish connecting.", None
    else:
        probe = build_adapter(broker=broker, account_ref=f"validate-{user.pk}", credentials=clean)
        check = _validate_or_raise(probe, broker=broker, user_id=user.pk)
        status, reason, valid_until = BrokerAccountStatus.ACTIVE, "", _valid_until(broker, check.token_valid_until)

    try:
        with transaction.atomic():
            account = BrokerAccount.objects.create(
                user=user,
                broker=broker,
                label=label,
                status=status,
                status_reason=reason,
                credentials=crypto.encrypt_mapping(clean, user_id=user.pk, broker=broker),
                token_valid_until=valid_until,
                # The user is in the login flow right now: no "log in again" notice for it.
                login_notified_at=now if needs_login else None,
            )
    except IntegrityError as exc:
        raise ApplicationError.field("label", "You already have a broker account with this label.") from exc
    log.info("broker account connected", extra={"broker": broker, "user_id": user.pk, "account_id": account.pk,
                                                "status": status})
    return account


def _checked_credentials(*, broker: str, credentials: dict[str, Any]) -> dict[str, str]:
    """Shape-checked credentials without empty values; field-named ApplicationError otherwise."""
    adapter_cls = ADAPTERS[broker]
    errors = adapter_cls.check_credential_shape(credentials)
    clean = {k: str(v) for k, v in credentials.items() if v not in (None, "")}
    session_field = _SESSION_FIELD.get(broker)
    if session_field is not None and not clean.get(session_field):
        # No session yet: the redirect login will need these, so they must be here and sane.
        for name in _LOGIN_NEEDS[broker]:
            value = clean.get(name, "")
            if not value:
                errors.setdefault(name, ["Needed to log in to the broker."])
            elif not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
                errors.setdefault(name, ["Must not contain spaces or unusual characters."])
    if errors:
        raise ApplicationError(
            "Credentials are incomplete or malformed.",
            fields={f"credentials.{name}": msgs for name, msgs in errors.items()},
        )
    return clean


def _validate_or_raise(adapter: BrokerAdapter, *, broker: str, user_id: int) -> Any:
    try:
        return adapter.validate_credentials()
    except BrokerError as exc:
        # The adapter's message is ours (never echoes the secret); the raw reply is not shown.
        log.info("broker credential check failed", extra={"broker": broker, "user_id": user_id, "kind": exc.kind})
        if exc.kind is ErrorKind.UNKNOWN or exc.kind is ErrorKind.RATE_LIMIT:
            raise ApplicationError(
                f"{_DISPLAY[broker]} could not be reached to check the credentials: {exc.message}",
                code="broker_unavailable",
                status=502,
            ) from exc
        raise ApplicationError(
            f"{_DISPLAY[broker]} did not accept these credentials: {exc.message}",
            code="broker_credentials_rejected",
            fields={"credentials": [exc.message]},
        ) from exc


def _valid_until(broker: str, reported: dt.datetime | None) -> dt.datetime | None:
    # A self-renewing adapter's JWT expiry says nothing about when the user must act.
    return None if broker in SELF_RENEWING else reported


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


# --- daily login ------------------------------------------------------------------------------


def login_start_path(account_id: int) -> str:
    """The API path that starts a fresh login of this account (used as the re-login link)."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/api/broker/accounts/{account_id}/login/start"


@dataclasses.dataclass(frozen=True, slots=True)
class LoginStart:
    account: BrokerAccount
    method: str  # redirect | totp | token | none (see LOGIN_METHODS)
    login_url: str | None  # where to send the user (redirect brokers only)
    message: str


def broker_account_login_start(*, account: BrokerAccount, callback_url: str) -> LoginStart:
    """Begin a fresh broker session for this account.

    Zerodha and Fyers: the broker's login page, with a signed single-use state that brings the
    user back to `callback_url` (our /api/broker/login/callback). Angel One logs in by itself
    with PIN + TOTP and Dhan's token comes from its web portal: for those (and paper) the stored
    credentials are validated again right now instead."""
    if account.status == BrokerAccountStatus.DISABLED:
        raise Conflict("This broker account is disabled.", code="broker_account_disabled")
    method = LOGIN_METHODS.get(account.broker, "none")
    if method != "redirect":
        account = broker_account_revalidate(account=account)
        how = {
            "totp": f"{_DISPLAY[account.broker]} logs in with your PIN and TOTP: no login page is needed.",
            "token": f"{_DISPLAY[account.broker]} access tokens come from its web portal; the stored token still works.",
            "none": "Nothing to log in to.",
        }[method]
        return LoginStart(account=account, method=method, login_url=None, message=f"{how} Account re-validated.")

    adapter = broker_adapter_for(account)
    missing = [name for name in _LOGIN_NEEDS[account.broker] if not adapter.credentials.get(name)]
    if missing:
        raise ApplicationError(
            f"{_DISPLAY[account.broker]} needs {', '.join(missing)} to log in; update the credentials first.",
            code="credentials_incomplete",
            fields={f"credentials.{name}": ["Needed to log in to the broker."] for name in missing},
        )
    state = login.state_issue(account_id=account.pk, user_id=account.user_id)
    if account.broker == "zerodha":
        # Kite passes redirect_params back on the redirect URL registered for the API key.
        url = f"{adapter.login_url()}&redirect_params={quote(urlencode({'state': state}), safe='')}"  # type: ignore[attr-defined]
    else:
        url = adapter.login_url(redirect_uri=callback_url, state=state)  # type: ignore[attr-defined]
    log.info("broker login started", extra={"broker": account.broker, "account_id": account.pk})
    return LoginStart(
        account=account, method=method, login_url=url, message=f"Open login_url and log in to {_DISPLAY[account.broker]}."
    )


def broker_login_complete(
    *, state: str, request_token: str | None = None, auth_code: str | None = None, acting_user: Any = None
) -> BrokerAccount:
    """The broker redirected the user back: exchange its one-time code for a session and store
    the access token (sealed). The signed state names the account; a signed-in caller must be
    its owner. Never logs the code or the token."""
    claims = login.state_consume(state)
    account = BrokerAccount.objects.filter(pk=claims.account_id, user_id=claims.user_id).first()
    acting_id = getattr(acting_user, "pk", None) if getattr(acting_user, "is_authenticated", False) else None
    if account is None or (acting_id is not None and acting_id != claims.user_id):
        raise NotFound("Broker account not found.")
    if account.status == BrokerAccountStatus.DISABLED:
        raise Conflict("This broker account is disabled.", code="broker_account_disabled")

    adapter = broker_adapter_for(account)
    field = "request_token" if account.broker == "zerodha" else "auth_code"
    code = request_token if account.broker == "zerodha" else auth_code
    if LOGIN_METHODS.get(account.broker) != "redirect":
        raise ApplicationError.field("state", f"{_DISPLAY[account.broker]} does not log in through a redirect.")
    if not code:
        raise ApplicationError.field(field, f"{_DISPLAY[account.broker]} did not send a {field}; log in again.")
    try:
        if account.broker == "zerodha":
            session = adapter.complete_login(code)  # type: ignore[attr-defined]
            access_token, broker_user_id, valid_until = session.access_token, session.user_id, session.valid_until
        else:
            access_token = adapter.complete_login(code)  # type: ignore[attr-defined]
            broker_user_id, valid_until = "", jwt_expiry(access_token)
    except BrokerError as exc:
        log.info("broker login failed", extra={"broker": account.broker, "account_id": account.pk, "kind": exc.kind})
        if exc.kind is ErrorKind.CREDENTIALS:
            secret = "api_secret" if account.broker == "zerodha" else "secret_key"
            raise ApplicationError(
                f"{_DISPLAY[account.broker]} refused the login: {exc.message} (is the stored {secret} right?)",
                code="broker_login_failed",
                fields={f"credentials.{secret}": [exc.message]},
            ) from exc
        if exc.final:
            raise ApplicationError(
                f"{_DISPLAY[account.broker]} refused the login: {exc.message}",
                code="broker_login_failed",
                fields={field: [f"Expired or already used; log in to {_DISPLAY[account.broker]} again."]},
            ) from exc
        raise ApplicationError(
            f"{_DISPLAY[account.broker]} could not be reached to complete the login: {exc.message}",
            code="broker_unavailable",
            status=502,
        ) from exc

    with transaction.atomic():
        account = BrokerAccount.objects.select_for_update().get(pk=account.pk)
        if account.broker_user_id and broker_user_id and account.broker_user_id != broker_user_id:
            log.warning("broker login of another broker user refused", extra={"account_id": account.pk})
            raise ApplicationError.field(
                field, f"This {_DISPLAY[account.broker]} login is another user's than the one connected to this account."
            )
        sealed = dict(account.credentials)
        sealed.update(crypto.encrypt_mapping({"access_token": access_token}, user_id=account.user_id, broker=account.broker))
        account.credentials = sealed
        account.status = BrokerAccountStatus.ACTIVE
        account.status_reason = ""
        account.token_valid_until = valid_until
        account.broker_user_id = broker_user_id or account.broker_user_id
        account.login_notified_at = None
        account.save(update_fields=["credentials", "status", "status_reason", "token_valid_until", "broker_user_id",
                                    "login_notified_at", "updated_at"])
    log.info("broker login completed", extra={"broker": account.broker, "account_id": account.pk})
    return account


def broker_account_revalidate(*, account: BrokerAccount) -> BrokerAccount:
    """Prove the stored credentials again; ACTIVE on success, NEEDS_LOGIN when the broker refuses
    them (the error says so), unchanged when the broker cannot be reached."""
    adapter = broker_adapter_for(account)
    try:
        check = _validate_or_raise(adapter, broker=account.broker, user_id=account.user_id)
    except ApplicationError as exc:
        if exc.code == "broker_credentials_rejected":
            BrokerAccount.objects.filter(pk=account.pk).exclude(status=BrokerAccountStatus.DISABLED).update(
                status=BrokerAccountStatus.NEEDS_LOGIN,
                status_reason=_relogin_reason(account.broker),
                login_notified_at=timezone.now(),  # the user is looking at this answer
            )
            if account.broker == "dhan":
                exc.message += " Paste a new access token from the Dhan web portal (POST .../credentials)."
        raise
    with transaction.atomic():
        account = BrokerAccount.objects.select_for_update().get(pk=account.pk)
        account.status = BrokerAccountStatus.ACTIVE
        account.status_reason = ""
        account.token_valid_until = _valid_until(account.broker, check.token_valid_until)
        account.login_notified_at = None
        account.save(update_fields=["status", "status_reason", "token_valid_until", "login_notified_at", "updated_at"])
    return account


def broker_account_credentials_update(*, account: BrokerAccount, credentials: dict[str, Any]) -> BrokerAccount:
    """Replace some credentials (Dhan's daily token, a new Kite API secret, ...), validated like a
    connect. New app credentials of a redirect broker drop the old session: log in again."""
    if account.status == BrokerAccountStatus.DISABLED:
        raise Conflict("This broker account is disabled.", code="broker_account_disabled")
    current = crypto.decrypt_mapping(account.credentials, user_id=account.user_id, broker=account.broker)
    given = {k: v for k, v in credentials.items() if v not in (None, "")}
    merged = current | given
    session_field = _SESSION_FIELD.get(account.broker)
    if session_field is not None and session_field not in given and any(
        merged.get(k) != current.get(k) for k in _LOGIN_NEEDS[account.broker]
    ):
        merged.pop(session_field, None)
    clean = _checked_credentials(broker=account.broker, credentials=merged)
    needs_login = session_field is not None and not clean.get(session_field)
    if not needs_login:
        probe = build_adapter(broker=account.broker, account_ref=str(account.pk), credentials=clean)
        check = _validate_or_raise(probe, broker=account.broker, user_id=account.user_id)
    with transaction.atomic():
        account = BrokerAccount.objects.select_for_update().get(pk=account.pk)
        account.credentials = crypto.encrypt_mapping(clean, user_id=account.user_id, broker=account.broker)
        if needs_login:
            account.status = BrokerAccountStatus.NEEDS_LOGIN
            account.status_reason = f"Log in to {_DISPLAY[account.broker]} to finish connecting."
            account.token_valid_until = None
            account.login_notified_at = timezone.now()
        else:
            account.status = BrokerAccountStatus.ACTIVE
            account.status_reason = ""
            account.token_valid_until = _valid_until(account.broker, check.token_valid_until)
            account.login_notified_at = None
        account.save(update_fields=["credentials", "status", "status_reason", "token_valid_until",
                                    "login_notified_at", "updated_at"])
    log.info("broker credentials updated", extra={"broker": account.broker, "account_id": account.pk})
    return account


def _relogin_reason(broker: str) -> str:
    return f"{_DISPLAY[broker]} session expired: log in again."


def token_valid(account: BrokerAccount, *, now: dt.datetime | None = None) -> bool:
    """Whether the account can place orders as far as we know (active, session not past its end)."""
    if account.status != BrokerAccountStatus.ACTIVE:
        return False
    return account.token_valid_until is None or account.token_valid_until > (now or timezone.now())


def broker_accounts_notify_login_needed(*, limit: int = 500) -> int:
    """Tell each trader once per expiry that an account needs a fresh login, with the link.

    Accounts reach NEEDS_LOGIN from several places (the engine on a broker's token error, a
    failed re-validation); this one sweep notices them all. The conditional update and the
    notification share a transaction, so a second run (or a second worker) sends nothing."""
    from apps.notifications.models import NotificationKind
    from apps.notifications.services import notify

    pending = list(
        BrokerAccount.objects.filter(status=BrokerAccountStatus.NEEDS_LOGIN, login_notified_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "user_id", "broker", "label")[:limit]
    )
    sent = 0
    now = timezone.now()
    for pk, user_id, broker, label in pending:
        with transaction.atomic():
            claimed = BrokerAccount.objects.filter(
                pk=pk, status=BrokerAccountStatus.NEEDS_LOGIN, login_notified_at__isnull=True
            ).update(login_notified_at=now)
            if claimed != 1:
                continue
            notify(
                user_id=user_id,
                kind=NotificationKind.TOKEN_EXPIRED,
                title=f"{label}: log in to {_DISPLAY.get(broker, broker)} again",
                body=(
                    f"The {_DISPLAY.get(broker, broker)} session of '{label}' has expired, so its strategies cannot "
                    f"place orders until you log in again. Log in: {login_start_path(pk)}"
                ),
            )
            sent += 1
    return sent
