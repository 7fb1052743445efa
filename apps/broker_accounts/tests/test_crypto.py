from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from apps.broker_accounts import crypto
from apps.broker_accounts.models import BrokerAccount
from apps.broker_accounts.services import broker_account_connect, broker_adapter_for, broker_keys_rotate

SECRET = "plaintext-secret-4d1c2b"


def test_round_trip_and_fresh_nonce_each_time() -> None:
    a = crypto.encrypt_value(SECRET, user_id=1, broker="paper", field="api_secret")
    b = crypto.encrypt_value(SECRET, user_id=1, broker="paper", field="api_secret")
    assert a != b  # random nonce per value
    assert a.startswith("v1:t2:")  # the active key id travels with the ciphertext
    assert crypto.decrypt_value(a, user_id=1, broker="paper", field="api_secret") == SECRET


@pytest.mark.parametrize(
    "binding",
    [
        {"user_id": 2, "broker": "paper", "field": "api_secret"},
        {"user_id": 1, "broker": "zerodha", "field": "api_secret"},
        {"user_id": 1, "broker": "paper", "field": "api_key"},
    ],
)
def test_ciphertext_moved_to_another_binding_fails(binding: dict[str, Any]) -> None:
    token = crypto.encrypt_value(SECRET, user_id=1, broker="paper", field="api_secret")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_value(token, **binding)


def test_tampered_ciphertext_fails() -> None:
    token = crypto.encrypt_value(SECRET, user_id=1, broker="paper", field="api_secret")
    head, blob = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(blob))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_value(f"{head}:{base64.urlsafe_b64encode(bytes(raw)).decode()}", user_id=1, broker="paper", field="api_secret")


@pytest.mark.parametrize("spec", ["", "k1:notbase64!!", "k1:" + base64.b64encode(b"short").decode(), "nocolon"])
def test_bad_key_ring_is_refused_clearly(spec: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        crypto.KeyRing.parse(spec)


@pytest.mark.django_db
def test_ciphertext_swapped_between_two_users_rows_fails_to_decrypt(alice: Any, bob: Any) -> None:
    a = broker_account_connect(user=alice, broker="paper", credentials={"api_secret": "alice-secret-1"})
    b = broker_account_connect(user=bob, broker="paper", credentials={"api_secret": "bob-secret-2"})
    BrokerAccount.objects.filter(pk=a.pk).update(credentials=b.credentials)
    a.refresh_from_db()
    with pytest.raises(crypto.DecryptionError):
        broker_adapter_for(a)
    assert broker_adapter_for(b).credentials == {"api_secret": "bob-secret-2"}


@pytest.mark.django_db
def test_table_dump_contains_no_plaintext(alice: Any) -> None:
    broker_account_connect(user=alice, broker="paper", credentials={"api_key": "key-visible?", "api_secret": SECRET})
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM broker_accounts_brokeraccount t")
        dump = "\n".join(row[0] for row in cursor.fetchall())
    assert "v1:t2:" in dump
    assert SECRET not in dump and "key-visible?" not in dump


@pytest.mark.django_db
def test_rotation_reencrypts_every_row(settings: Any, alice: Any, bob: Any) -> None:
    # Start with t1 active, write rows, then make t2 active and rotate.
    settings.CREDENTIAL_ACTIVE_KEY = "t1"
    accounts = [
        broker_account_connect(user=u, broker="paper", credentials={"api_key": f"k-{u.pk}", "api_secret": f"s-{u.pk}"})
        for u in (alice, bob)
    ]
    assert all(crypto.key_id_of(t) == "t1" for a in accounts for t in a.credentials.values())

    settings.CREDENTIAL_ACTIVE_KEY = "t2"
    assert broker_keys_rotate() == (2, 4)
    for account in BrokerAccount.objects.all():
        assert {crypto.key_id_of(t) for t in account.credentials.values()} == {"t2"}
        assert broker_adapter_for(account).credentials == {
            "api_key": f"k-{account.user_id}",
            "api_secret": f"s-{account.user_id}",
        }
    assert broker_keys_rotate() == (0, 0)  # idempotent

    # After rotation the old key can leave the ring.
    settings.CREDENTIAL_KEYS = settings.CREDENTIAL_KEYS.split(",")[0]
    assert all(broker_adapter_for(a).credentials for a in BrokerAccount.objects.all())
