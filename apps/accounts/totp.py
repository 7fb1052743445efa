"""TOTP second factor (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits, one step of clock drift
either way) for admins and broker staff.

The secret is sealed with the broker-credential cipher (AES-256-GCM, the active key of
CREDENTIAL_KEYS) bound to (user, "totp", "secret"), so a sealed secret copied to another
user's row does not open. A code is accepted once: the step it matched is stored, and a
conditional update refuses that step (and any earlier one) afterwards, so a code seen over
someone's shoulder cannot be replayed within its 90-second window.

    totp_setup(user=u)                 -> TotpSetup(secret, uri)   (not enforced yet)
    totp_confirm(user=u, code="123456")                             (enforced from now on)
    totp_disable(user=u, code="123456")
    totp_check_login(user=u, code=...) -> raises ApplicationError 401 when a code is needed
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.db import transaction
from django.utils import timezone

from apps.broker_accounts.crypto import DecryptionError, decrypt_value, encrypt_value
from apps.core.errors import ApplicationError, Conflict

from .models import Role, TotpDevice, User

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "Algotrade"
# Roles that may enrol (the brief: admins and broker staff hold the platform's kill switches).
TOTP_ROLES = frozenset({Role.ADMIN, Role.BROKER})
_BINDING = {"broker": "totp", "field": "secret"}


# --- RFC 4226 / 6238 ----------------------------------------------------------------------------


def new_secret() -> str:
    """160 random bits, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(os.urandom(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def hotp(secret: str, counter: int, digits: int = DIGITS) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_now(secret: str, at: float | None = None) -> str:
    return hotp(secret, int((time.time() if at is None else at) // STEP_SECONDS))


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step (within ±DRIFT_STEPS of now) whose code is `code`, else None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now_step = int((time.time() if at is None else at) // STEP_SECONDS)
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(secret, step), code):  # constant time; check every step
            found = step
    return found


def provisioning_uri(secret: str, email: str) -> str:
    label = quote(f"{ISSUER}:{email}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"


# --- services -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    uri: str


def _seal(user: User, secret: str) -> str:
    return encrypt_value(secret, user_id=user.pk, **_BINDING)


def _open(device: TotpDevice) -> str:
    try:
        return decrypt_value(device.secret, user_id=device.user_id, **_BINDING)
    except DecryptionError as exc:
        raise ApplicationError("Second factor cannot be read; ask an admin to reset it.", code="totp_unreadable",
                               status=409) from exc


def totp_enabled(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def totp_setup(*, user: User) -> TotpSetup:
    """Start (or restart) enrolment: a new secret, not enforced until confirmed with a code."""
    if user.role not in TOTP_ROLES:
        raise ApplicationError("Two-factor sign-in is for admins and broker staff.", code="totp_not_available",
                               status=403)
    if totp_enabled(user):
        raise Conflict("Two-factor sign-in is already on; turn it off first.", code="totp_enabled")
    secret = new_secret()
    TotpDevice.objects.update_or_create(
        user=user, defaults={"secret": _seal(user, secret), "confirmed_at": None, "last_used_step": 0}
    )
    return TotpSetup(secret=secret, uri=provisioning_uri(secret, user.email))


def _use_code(device: TotpDevice, code: str) -> bool:
    """True when `code` matches a step not used before; that step is then spent."""
    step = matching_step(_open(device), code)
    if step is None:
        return False
    # Conditional update: two requests racing with the same code cannot both pass.
    return TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step) == 1


def totp_confirm(*, user: User, code: str) -> TotpDevice:
    device = TotpDevice.objects.filter(user=user).first()
    if device is None:
        raise ApplicationError("Start enrolment first.", code="totp_not_started")
    if device.confirmed_at is not None:
        raise Conflict("Two-factor sign-in is already on.", code="totp_enabled")
    if not _use_code(device, code):
        raise ApplicationError.field("code", "The code is wrong or expired.", code="totp_invalid")
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    _audit(user, "user.totp_enabled")
    device.refresh_from_db()
    return device


def totp_disable(*, user: User, code: str) -> None:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise ApplicationError("Two-factor sign-in is not on.", code="totp_not_enabled")
    if not _use_code(device, code):
        raise ApplicationError.field("code", "The code is wrong or expired.", code="totp_invalid")
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).delete()
        _audit(user, "user.totp_disabled")


def totp_check_login(*, user: User, code: str | None) -> None:
    """Raise 401 unless the user has no confirmed second factor or `code` is a fresh valid one."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return
    if not code:
        raise ApplicationError("Enter the code from your authenticator app.", code="totp_required", status=401,
                               fields={"totp": ["This field is required."]})
    if not _use_code(device, code):
        raise ApplicationError("The authenticator code is wrong or expired.", code="totp_invalid", status=401,
                               fields={"totp": ["The code is wrong or expired."]})


def _audit(user: User, action: str) -> None:
    from apps.operations.services import audit_record

    audit_record(actor=user, action=action, target_type="user", target_id=user.pk, detail=None, ip="")
