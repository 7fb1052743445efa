"""Secrets planted through the real stack (uvicorn, orders worker, beat; DEBUG logging) must
not show up anywhere they should not: process logs, Redis keys and values, Celery messages
waiting in the queues, API responses, and plaintext in any PostgreSQL row.

Planted: a trader's password, paper broker API key and secret (used by the orders worker to
place a real paper order), an unknown credential field's value, a Telegram bot token, and
an admin's TOTP secret (returned once by the enrolment response by design: that one response
is the only place it may appear).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import Any

import httpx
import pyotp
import pytest

from apps.strategies.calendar import now_ist
from tests.e2e_helpers import wait_for
from tests.security.helpers import SUMMARY

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _planted() -> dict[str, str]:
    tag = secrets.token_hex(6)
    return {
        "password": f"Planted-Passw0rd-{tag}",
        "broker api_key": f"PLANTEDKEY{tag}",
        "broker api_secret": f"PLANTEDSECRET{tag}",
        "unknown credential field": f"PLANTEDBOGUS{tag}",
        "telegram bot token": f"123456789:PLANTEDbot{tag}abcdefghijkl",
    }


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[tuple[str, str]] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.bodies.append((f"{response.request.method} {response.request.url.path}", response.text))


def _redis_texts(redis_url: str) -> tuple[list[tuple[str, str]], int, int]:
    """(where, text) for every key and value of the Redis database, Celery message bodies
    decoded; plus how many keys and how many queued Celery messages were read."""
    import redis

    client = redis.Redis.from_url(redis_url)
    out: list[tuple[str, str]] = []
    keys = messages = 0

    def add(where: str, raw: Any) -> None:
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        out.append((where, text))
        try:  # a kombu message: {"body": base64, "headers": {...}} -> scan the decoded body too
            message = json.loads(text)
            if isinstance(message, dict) and "body" in message:
                out.append((where + " (body)", base64.b64decode(message["body"]).decode(errors="replace")))
        except (ValueError, TypeError):
            pass

    try:
        for key in client.scan_iter(count=1000):
            keys += 1
            name = key.decode(errors="replace")
            out.append(("key", name))
            kind = client.type(key).decode()
            if kind == "string":
                add(name, client.get(key))
            elif kind == "hash":
                for field, value in client.hgetall(key).items():
                    add(f"{name}[{field.decode(errors='replace')}]", field + b" " + value)
            elif kind == "list":
                values = client.lrange(key, 0, -1)
                if name in ("orders", "stoploss", "default") or name.startswith(("orders\x06", "default\x06")):
                    messages += len(values)
                for value in values:
                    add(name, value)
            elif kind == "set":
                for value in client.smembers(key):
                    add(name, value)
            elif kind == "zset":
                for value in client.zrange(key, 0, -1):
                    add(name, value)
            elif kind == "stream":
                for _, fields in client.xrange(key):
                    add(name, json.dumps({k.decode(): v.decode(errors="replace") for k, v in fields.items()}))
        messages += client.hlen("unacked")
    finally:
        client.close()
    return out, keys, messages


def _db_hits(needles: dict[str, str]) -> tuple[dict[str, list[str]], int]:
    """Tables holding a planted secret in plain text (each row cast to text)."""
    from django.db import connection

    hits: dict[str, list[str]] = {}
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            for name, needle in needles.items():
                cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', [f"%{needle}%"])  # noqa: S608 - table names from introspection
                if cursor.fetchone()[0]:
                    hits.setdefault(name, []).append(table)
    return hits, len(tables)


def test_planted_secrets_appear_in_no_log_redis_key_queue_message_response_or_plain_row(
    stack: Any, make_user: Any, settings: Any
) -> None:
    if (now_ist() + dt.timedelta(seconds=60)).date() != now_ist().date():
        pytest.skip("the strategy would cross midnight IST")
    planted = _planted()
    stack.env.update({"LOG_LEVEL": "DEBUG"})
    # No default-queue worker: notification deliveries and housekeeping stay queued, to be read.
    stack.start("web", "worker-orders", "beat")
    recorder = Recorder()
    http = httpx.Client(base_url=stack.url, timeout=20, event_hooks={"response": [recorder]})
    excluded: set[int] = set()
    try:
        email = "planted-trader@example.test"
        assert http.post("/api/auth/register", json={"email": email, "password": planted["password"]}).status_code == 201
        assert http.post("/api/auth/login", json={"email": email, "password": planted["password"] + "x"}).status_code == 401
        tokens = http.post("/api/auth/login", json={"email": email, "password": planted["password"]}).json()
        http.headers["Authorization"] = f"Bearer {tokens['access']}"
        r = http.post("/api/broker/connect", json={"broker": "paper", "credentials": {
            "api_key": planted["broker api_key"], "api_secret": planted["broker api_secret"]}})
        assert r.status_code == 201, r.text
        account = r.json()["id"]
        r = http.post("/api/broker/connect", json={"broker": "paper", "credentials": {
            "api_key": planted["broker api_key"], "bogus": planted["unknown credential field"]}})
        assert r.status_code == 400
        r = http.patch("/api/notifications/settings", json={
            "telegram_bot_token": planted["telegram bot token"], "telegram_chat_id": "12345", "telegram_enabled": True})
        assert r.status_code == 200, r.text
        buy = (now_ist() + dt.timedelta(seconds=4)).replace(microsecond=0)
        r = http.post("/api/strategy/create", json={
            "name": "planted", "symbol": "TCS", "quantity": 1, "buy_time": buy.strftime("%H:%M:%S"),
            "sell_time": "23:59:59", "stop_loss": "1.00", "broker_account": account})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        assert http.post("/api/strategy/start", json={"id": sid}).status_code == 200
        wait_for(lambda: http.get(f"/api/strategy/status/{sid}").json()["position"] == "LONG", timeout=30,
                 what="the paper order, placed with the planted credentials")
        for path in ("/api/me", "/api/broker/accounts", f"/api/broker/accounts/{account}", "/api/strategy/list",
                     f"/api/strategy/{sid}", f"/api/strategy/{sid}/orders", "/api/dashboard", "/api/notifications",
                     "/api/notifications/settings", "/api/compliance/static-ips", "/api/auth/totp"):
            http.get(path)

        # An admin enrols TOTP: its secret is in that one response, by design.
        admin = make_user("admin", email="planted-admin@example.test", password=planted["password"])
        admin_tokens = http.post("/api/auth/login", json={"email": admin.email, "password": planted["password"]}).json()
        auth = {"Authorization": f"Bearer {admin_tokens['access']}"}
        r = http.post("/api/auth/totp/setup", headers=auth)
        excluded.add(len(recorder.bodies) - 1)
        planted["totp secret"] = r.json()["secret"]
        http.post("/api/auth/totp/confirm", headers=auth, json={"code": pyotp.TOTP(planted["totp secret"]).now()})
        code = pyotp.TOTP(planted["totp secret"]).at(now_ist().timestamp() + 30)
        assert http.post("/api/auth/login", json={"email": admin.email, "password": planted["password"],
                                                  "totp": code}).status_code == 200
        for path in ("/api/admin/users", "/api/admin/orders", "/api/admin/audit", "/api/admin/system",
                     "/api/admin/strategies", "/api/broker/stats"):
            http.get(path, headers=auth)
    finally:
        http.close()
    stack.stop()  # flush every log

    hits: list[str] = []
    for n, (what, body) in enumerate(recorder.bodies):
        for name, needle in planted.items():
            if needle in body and n not in excluded:
                hits.append(f"API response {what}: {name}")
    log_lines = 0
    for path in sorted(stack.dir.glob("*.log")):
        text = path.read_text(errors="replace")
        log_lines += text.count("\n")
        for name, needle in planted.items():
            if needle in text:
                hits.append(f"log {path.name}: {name}")
    texts, keys, messages = _redis_texts(settings.REDIS_URL)
    for where, text in texts:
        for name, needle in planted.items():
            if needle in text:
                hits.append(f"redis {where[:80]}: {name}")
    db_hits, tables = _db_hits(planted)
    hits += [f"plain text in table {t}: {name}" for name, ts in db_hits.items() for t in ts]
    SUMMARY.append(
        f"secret scan: {len(planted)} planted secrets; {len(recorder.bodies)} API responses, {log_lines} log lines "
        f"(web, orders worker, beat at DEBUG), {keys} Redis keys and values, {messages} Celery messages in the queues, "
        f"{tables} PostgreSQL tables row by row: {len(hits)} hits{': ' + '; '.join(hits[:10]) if hits else ''}"
    )
    print("\n" + SUMMARY[-1])
    assert messages > 0, "no queued Celery message was scanned"
    assert hits == []
