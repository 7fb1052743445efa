from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.core.errors import ApplicationError
from brokers.registry import BROKER_CHOICES

from .models import Role, User
from .throttle import login_failed, login_locked_for, login_succeeded
from .tokens import revoke_access_token


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    user: User


def _issue(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    refresh["role"] = user.role
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh), user=user)


def user_register(*, email: str, password: str) -> User:
    """Self-registration always makes a trader; roles are given by admins only."""
    email = email.strip().lower()
    candidate = User(email=email, role=Role.USER)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise ApplicationError("Password is too weak.", fields={"password": exc.messages}) from exc
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, role=Role.USER)
    except IntegrityError as exc:
        raise ApplicationError.field("email", "An account with this email already exists.", code="email_taken") from exc


# Deleted accounts keep their row (orders and the audit trail refer to them) under this address.
DELETED_EMAIL_DOMAIN = "deleted.invalid"


def _audit(actor: User | None, action: str, user: User, detail: dict | None = None, ip: str = "") -> None:
    from apps.operations.services import audit_record

    audit_record(actor=actor, action=action, target_type="user", target_id=user.pk, detail=detail, ip=ip)


def _check_broker(role: str, broker: str) -> None:
    if role == Role.BROKER and not broker:
        raise ApplicationError.field("broker", "Broker staff must belong to a broker.")
    if role == Role.BROKER and broker not in dict(BROKER_CHOICES):
        raise ApplicationError.field("broker", f"Unknown broker {broker!r}.")


def _revoke_tokens(user: User) -> None:
    for outstanding in OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True):
        BlacklistedToken.objects.get_or_create(token=outstanding)


def user_create(
    *, email: str, password: str, role: str, broker: str = "", actor: User | None = None, ip: str = ""
) -> User:
    """Admin-created account of any role (broker staff need their broker)."""
    _check_broker(role, broker)
    email = email.strip().lower()
    try:
        validate_password(password, user=User(email=email))
    except DjangoValidationError as exc:
        raise ApplicationError("Password is too weak.", fields={"password": exc.messages}) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                role=role,
                broker=broker if role == Role.BROKER else "",
                is_staff=role == Role.ADMIN,
            )
            _audit(actor, "user.create", user, {"email": email, "role": role, "broker": user.broker}, ip)
            return user
    except IntegrityError as exc:
        raise ApplicationError.field("email", "An account with this email already exists.", code="email_taken") from exc


def user_login(*, email: str, password: str, ip: str, totp: str | None = None) -> TokenPair:
    """Password, then (for accounts with a confirmed TOTP device: admins and broker staff)
    the authenticator code. A wrong code counts as a failed sign-in for the lock-out."""
    from .totp import totp_check_login

    email = email.strip().lower()
    wait = login_locked_for(email, ip)
    if wait:
        raise ApplicationError(
            f"Too many failed sign-ins for this email from your address; try again in {wait} s.",
            code="login_locked",
            status=429,
        )
    user = authenticate(username=email, password=password)
    if user is None:
        login_failed(email, ip)
        # Same answer for unknown email, wrong password and suspended account: no account probing.
        raise ApplicationError("Email or password is incorrect.", code="invalid_credentials", status=401)
    try:
        totp_check_login(user=user, code=totp)
    except ApplicationError as exc:
        if exc.code == "totp_invalid":
            login_failed(email, ip)
        raise
    login_succeeded(email, ip)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return _issue(user)


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token exactly once: a second use of the same token is refused.

    The outstanding-token row is locked so two concurrent refreshes cannot both succeed.
    """
    try:
        token = RefreshToken(refresh)  # checks signature, expiry and the blacklist
    except TokenError as exc:
        raise ApplicationError("Refresh token is invalid or expired.", code="token_not_valid", status=401) from exc
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=token["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise ApplicationError("Refresh token has been used or revoked.", code="token_not_valid", status=401)
        BlacklistedToken.objects.create(token=outstanding)
        user = User.objects.filter(pk=token.get("user_id")).first()
        if user is None or not user.is_active:
            raise ApplicationError("Account is not active.", code="account_inactive", status=401)
    return _issue(user)


def user_logout(*, refresh: str, access: str | None = None) -> None:
    """Revoke the refresh token (and the presented access token, so it dies at once too)."""
    try:
        token = RefreshToken(refresh)
        token.blacklist()
    except TokenError as exc:
        raise ApplicationError("Refresh token is invalid or expired.", code="token_not_valid", status=401) from exc
    if access:
        try:
            parsed = AccessToken(access)
            revoke_access_token(parsed["jti"], parsed["exp"])
        except TokenError:
            pass  # an expired access token needs no revocation


def user_suspend(*, actor: User, user: User, reason: str = "", ip: str = "") -> User:
    """Sign the user out everywhere and stop their running strategies: no new entries. A
    position already open keeps its stop-loss and its scheduled exit (never strand shares).
    Re-activation does not restart strategies: the trader starts them again."""
    from apps.operations.services import user_strategies_stop

    if user.pk == actor.pk:
        raise ApplicationError("You cannot suspend yourself.", code="self_suspend")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            is_active=False, suspended_at=timezone.now(), suspended_reason=reason[:200]
        )
        _revoke_tokens(user)
        _audit(actor, "user.suspend", user, {"reason": reason}, ip)
        if user.strategies.filter(status="RUNNING", deleted_at__isnull=True).exists():
            user_strategies_stop(actor=actor, user=user, reason="account suspended", ip=ip)
    user.refresh_from_db()
    return user


def user_activate(*, actor: User, user: User, ip: str = "") -> User:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True, suspended_at=None, suspended_reason="")
        _audit(actor, "user.activate", user, None, ip)
    user.refresh_from_db()
    return user


def user_update(
    *,
    actor: User,
    user: User,
    email: str | None = None,
    role: str | None = None,
    broker: str | None = None,
    ip: str = "",
) -> User:
    """Change an account's email, role or broker (admins). Tokens are revoked when the role
    or broker changes, so no token issued for the old role outlives the change."""
    changes: dict[str, object] = {}
    if email is not None and email.strip().lower() != user.email:
        changes["email"] = email.strip().lower()
    new_role = role if role is not None else user.role
    new_broker = broker if broker is not None else user.broker
    if new_role != Role.BROKER:
        new_broker = ""
    _check_broker(new_role, new_broker)
    if user.pk == actor.pk and new_role != Role.ADMIN:
        raise ApplicationError.field("role", "You cannot take away your own admin role.", code="self_demote")
    if new_role != user.role:
        changes["role"] = new_role
        changes["is_staff"] = new_role == Role.ADMIN
    if new_broker != user.broker:
        changes["broker"] = new_broker
    if not changes:
        return user
    before = {k: getattr(user, k) for k in changes}
    try:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(**changes)
            if "role" in changes or "broker" in changes:
                _revoke_tokens(user)
            _audit(actor, "user.update", user, {"old": before, "new": changes}, ip)
    except IntegrityError as exc:
        raise ApplicationError.field("email", "An account with this email already exists.", code="email_taken") from exc
    user.refresh_from_db()
    return user


def user_delete(*, actor: User, user: User, ip: str = "") -> User:
    """Delete an account softly: its orders and audit entries must keep their foreign keys.
    Strategies are stopped, sign-in is refused for good, tokens revoked, the email anonymised."""
    from apps.strategies.models import Strategy, StrategyStatus
    from apps.strategies.services import strategy_stop

    if user.pk == actor.pk:
        raise ApplicationError("You cannot delete yourself.", code="self_delete")
    if user.email.endswith("@" + DELETED_EMAIL_DOMAIN):
        return user
    with transaction.atomic():
        for strategy in Strategy.objects.filter(user=user, deleted_at__isnull=True, status=StrategyStatus.RUNNING):
            strategy_stop(strategy=strategy, reason="Account deleted.")
        old_email = user.email
        user.email = f"user{user.pk}@{DELETED_EMAIL_DOMAIN}"
        user.set_unusable_password()
        user.is_active = False
        user.suspended_at = timezone.now()
        user.suspended_reason = "Deleted"
        user.save(update_fields=["email", "password", "is_active", "suspended_at", "suspended_reason"])
        _revoke_tokens(user)
        _audit(actor, "user.delete", user, {"email": old_email}, ip)
    return user
