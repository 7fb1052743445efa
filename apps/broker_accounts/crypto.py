"""AES-256-GCM for broker credentials.

Each value is sealed alone: a fresh random 96-bit nonce, the key id inside the ciphertext
(so rotation can find the key), and associated data binding (user, broker, field), so a
ciphertext copied to another user's row, broker or field fails to decrypt.

Format: ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"


class DecryptionError(Exception):
    """A ciphertext that cannot be opened (wrong key, wrong binding, tampered)."""


@dataclass(frozen=True)
class KeyRing:
    active_id: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str, active: str = "") -> KeyRing:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            kid, sep, b64 = item.partition(":")
            if not sep or not kid or ":" in kid:
                raise ImproperlyConfigured("CREDENTIAL_KEYS entries must look like 'keyid:base64key'.")
            try:
                key = base64.b64decode(b64, validate=True)
            except binascii.Error as exc:
                raise ImproperlyConfigured(f"CREDENTIAL_KEYS key {kid!r} is not valid base64.") from exc
            if len(key) != 32:
                raise ImproperlyConfigured(f"CREDENTIAL_KEYS key {kid!r} must be 32 bytes (AES-256).")
            keys[kid] = key
            order.append(kid)
        if not keys:
            raise ImproperlyConfigured("CREDENTIAL_KEYS is empty: broker credentials cannot be encrypted.")
        active_id = active or order[0]
        if active_id not in keys:
            raise ImproperlyConfigured(f"CREDENTIAL_ACTIVE_KEY {active_id!r} is not in CREDENTIAL_KEYS.")
        return cls(active_id=active_id, keys=keys)


def key_ring() -> KeyRing:
    return KeyRing.parse(settings.CREDENTIAL_KEYS, settings.CREDENTIAL_ACTIVE_KEY)


def _aad(user_id: int, broker: str, field: str) -> bytes:
    return f"broker-credential|{user_id}|{broker}|{field}".encode()


def encrypt_value(plaintext: str, *, user_id: int, broker: str, field: str, ring: KeyRing | None = None) -> str:
    ring = ring or key_ring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.active_id]).encrypt(nonce, plaintext.encode(), _aad(user_id, broker, field))
    return f"{VERSION}:{ring.active_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError("Unrecognised ciphertext format.")
    return parts[1]


def decrypt_value(token: str, *, user_id: int, broker: str, field: str, ring: KeyRing | None = None) -> str:
    ring = ring or key_ring()
    kid = key_id_of(token)
    key = ring.keys.get(kid)
    if key is None:
        raise DecryptionError(f"Key {kid!r} is not in the key ring.")
    try:
        blob = base64.urlsafe_b64decode(token.split(":", 2)[2])
        return AESGCM(key).decrypt(blob[:12], blob[12:], _aad(user_id, broker, field)).decode()
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise DecryptionError("Ciphertext does not open with this key and binding.") from exc


def encrypt_mapping(values: dict[str, str], *, user_id: int, broker: str) -> dict[str, str]:
    ring = key_ring()
    return {f: encrypt_value(v, user_id=user_id, broker=broker, field=f, ring=ring) for f, v in values.items()}


def decrypt_mapping(sealed: dict[str, str], *, user_id: int, broker: str) -> dict[str, str]:
    ring = key_ring()
    return {f: decrypt_value(t, user_id=user_id, broker=broker, field=f, ring=ring) for f, t in sealed.items()}
