"""Daily broker login: Zerodha's redirect flow through our callback (Kite simulator), Fyers'
auth-code flow, re-validation for the brokers without a login page, and the notice when an
account needs a fresh login."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from apps.broker_accounts import crypto
from apps.broker_accounts.models import BrokerAccount, BrokerAccountStatus
from apps.broker_accounts.services import broker_accounts_notify_login_needed
from apps.broker_accounts.tests.conftest import KITE_LOGIN_URL, _with_options, state_of
from apps.notifications.models import Notification
from brokers.common import IST
from brokers.simulators.kite import KiteSimulator

pytestmark = pytest.mark.django_db


def _connect_zerodha(api: Any, user: Any, kite: KiteSimulator, **credentials: str) -> Any:
    creds = {"api_key": kite.api_key, "api_secret": kite.api_secret} | credentials
    return api(user).post("/api/broker/connect", {"broker": "zerodha", "credentials": creds}, format="json")


def _start(api: Any, user: Any, account_id: int) -> Any:
    return api(user).post(f"/api/broker/accounts/{account_id}/login/start", {}, format="json")


def _callback(api: Any, user: Any = None, **params: str) -> Any:
    return api(user).get("/api/broker/login/callback", {"action": "login", "status": "success"} | params)


def _no_secrets(response: Any, *secrets: str) -> None:
    text = response.content.decode()
    for secret in secrets:
        assert secret not in text


def test_zerodha_connects_with_app_credentials_and_needs_a_login(api: Any, alice: Any, kite: KiteSimulator) -> None:
    r = _connect_zerodha(api, alice, kite)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "NEEDS_LOGIN" and body["login_method"] == "redirect"
    assert body["token_valid_until"] is None and body["token_valid"] is False
    _no_secrets(r, kite.api_secret)
    assert kite.request_count("GET", r"/user/profile") == 0  # nothing to validate without a session yet


def test_zerodha_connect_names_the_missing_or_malformed_app_credential(api: Any, alice: Any, kite: KiteSimulator) -> None:
    r = api(alice).post("/api/broker/connect", {"broker": "zerodha", "credentials": {"api_key": "k"}}, format="json")
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["credentials.api_secret"]
    r = _connect_zerodha(api, alice, kite, api_key="has space")
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["credentials.api_key"]


def test_login_flow_stores_the_sealed_access_token_and_activates_the_account(
    api: Any, alice: Any, kite: KiteSimulator
) -> None:
    account_id = _connect_zerodha(api, alice, kite).json()["id"]
    started = _start(api, alice, account_id)
    assert started.status_code == 200, started.content
    body = started.json()
    assert body["method"] == "redirect" and body["broker_account"]["id"] == account_id
    url = urlsplit(body["login_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == KITE_LOGIN_URL
    assert parse_qs(url.query)["api_key"] == [kite.api_key] and parse_qs(url.query)["v"] == ["3"]
    _no_secrets(started, kite.api_secret)

    request_token = kite.issue_request_token()
    before = dt.datetime.now(dt.UTC)
    done = _callback(api, None, type="login", request_token=request_token, state=state_of(body["login_url"]))
    assert done.status_code == 200, done.content
    account = done.json()
    assert account["status"] == "ACTIVE" and account["token_valid"] is True
    valid_until = dt.datetime.fromisoformat(account["token_valid_until"]).astimezone(IST)
    assert (valid_until.hour, valid_until.minute) == (6, 0)  # Kite's daily reset
    assert dt.timedelta(0) < valid_until - before <= dt.timedelta(days=1)
    _no_secrets(done, request_token, kite.api_secret)

    stored = BrokerAccount.objects.get(pk=account_id)
    assert stored.broker_user_id == "ZS1234" and stored.login_notified_at is None
    opened = crypto.decrypt_mapping(stored.credentials, user_id=alice.pk, broker="zerodha")
    assert opened["api_key"] == kite.api_key and len(opened["access_token"]) == 32
    assert opened["access_token"] not in json.dumps(stored.credentials)  # sealed at rest
    assert kite.token_valid(kite.api_key, opened["access_token"])
    listed = api(alice).get("/api/broker/accounts")
    assert listed.json()[0]["token_valid_until"] == account["token_valid_until"]
    _no_secrets(listed, opened["access_token"], kite.api_secret)


def test_a_login_link_works_once(api: Any, alice: Any, kite: KiteSimulator) -> None:
    account_id = _connect_zerodha(api, alice, kite).json()["id"]
    state = state_of(_start(api, alice, account_id).json()["login_url"])
    assert _callback(api, request_token=kite.issue_request_token(), state=state).status_code == 200
    again = _callback(api, request_token=kite.issue_request_token(), state=state)
    assert again.status_code == 400 and list(again.json()["error"]["fields"]) == ["state"]


def test_forged_or_expired_state_is_refused(api: Any, alice: Any, kite: KiteSimulator, settings: Any) -> None:
    account_id = _connect_zerodha(api, alice, kite).json()["id"]
    state = state_of(_start(api, alice, account_id).json()["login_url"])
    forged = signing.dumps({"a": account_id, "u": alice.pk, "n": "guess"}, salt="other-salt")
    for bad in (state[:-2] + "xx", forged, "plain-text"):
        r = _callback(api, request_token=kite.issue_request_token(), state=bad)
        assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["state"], bad
    settings.BROKER_LOGIN_STATE_MAX_AGE = -1  # every state is now too old
    r = _callback(api, request_token=kite.issue_request_token(), state=state)
    assert r.status_code == 400 and "expired" in r.json()["error"]["message"]
    assert BrokerAccount.objects.get(pk=account_id).status == BrokerAccountStatus.NEEDS_LOGIN


def test_callback_requires_the_code_and_the_state(api: Any) -> None:
    r = _callback(api)
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["state"]
    r = api(None).get("/api/broker/login/callback", {"state": "x", "surprise": "1"})
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["surprise"]


def test_callback_without_request_token_names_it(api: Any, alice: Any, kite: KiteSimulator) -> None:
    account_id = _connect_zerodha(api, alice, kite).json()["id"]
    state = state_of(_start(api, alice, account_id).json()["login_url"])
    r = _callback(api, state=state)
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["request_token"]


def test_stale_request_token_is_named_and_nothing_changes(api: Any, alice: Any, kite: KiteSimulator) -> None:
    account_id = _connect_zerodha(api, alice, kite).json()["id"]
    state = state_of(_start(api, alice, account_id).json()["login_url"])
    r = _callback(api, request_token="not-issued-by-kite", state=state)
    assert r.status_code == 400 and r.json()["error"]["code"] == "broker_login_failed"
    assert list(r.json()["error"]["fields"]) == ["request_token"]
    assert "not-issued-by-kite" not in r.content.decode()
    assert BrokerAccount.objects.get(pk=account_id).status == BrokerAccountStatus.NEEDS_LOGIN


def test_wrong_api_secret_shows_at_login_as_a_credential_error(api: Any, alice: Any, kite: KiteSimulator) -> None:
    account_id = _connect_zerodha(api, alice, kite, api_secret="not-the-secret").json()["id"]
    state = state_of(_start(api, alice, account_id).json()["login_url"])
    r = _callback(api, request_token=kite.issue_request_token(), state=state)
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["credentials.api_secret"]
    _no_secrets(r, "not-the-secret")


def test_login_of_another_kite_user_is_refused(api: Any, alice: Any, kite: KiteSimulator) -> None:
    account_id = _connect_zerodha(api, alice, kite).json()["id"]
    BrokerAccount.objects.filter(pk=account_id).update(broker_user_id="AB0001")
    state = state_of(_start(api, alice, account_id).json()["login_url"])
    r = _callback(api, request_token=kite.issue_request_token(), state=state)
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["request_token"]
    stored = BrokerAccount.objects.get(pk=account_id)
    assert stored.status == BrokerAccountStatus.NEEDS_LOGIN and "access_token" not in stored.credentials


def test_bob_cannot_start_or_complete_alices_login(api: Any, alice: Any, bob: Any, kite: KiteSimulator) -> None:
    account_id = _connect_zerodha(api, alice, kite).json()["id"]
    assert _start(api, bob, account_id).status_code == 404
    assert _start(api, None, account_id).status_code == 401
    state = state_of(_start(api, alice, account_id).json()["login_url"])
    # Signed in as somebody else: the account "does not exist" for bob, and stays untouched.
    r = _callback(api, bob, request_token=kite.issue_request_token(), state=state)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert BrokerAccount.objects.get(pk=account_id).status == BrokerAccountStatus.NEEDS_LOGIN


def test_guest_cannot_read_readiness_or_change_credentials(api: Any) -> None:
    assert api(None).get("/api/broker/readiness").status_code == 401
    assert api(None).post("/api/broker/accounts/1/credentials", {"credentials": {}}, format="json").status_code == 401


def test_fyers_logs_in_through_the_auth_code_redirect(api: Any, alice: Any, settings: Any) -> None:
    from brokers.simulators.fyers import FyersSimulator

    with FyersSimulator() as fyers:
        _with_options(settings, "fyers", api_root=fyers.base_url, timeout=1.0)
        settings.BROKER_LOGIN_CALLBACK_URL = "https://algo.example.test/api/broker/login/callback"
        r = api(alice).post(
            "/api/broker/connect",
            {"broker": "fyers", "credentials": {"app_id": fyers.app_id, "secret_key": fyers.secret_key}},
            format="json",
        )
        assert r.status_code == 201 and r.json()["status"] == "NEEDS_LOGIN"
        started = _start(api, alice, r.json()["id"]).json()
        query = parse_qs(urlsplit(started["login_url"]).query)
        assert query["client_id"] == [fyers.app_id] and query["redirect_uri"] == [settings.BROKER_LOGIN_CALLBACK_URL]
        done = api(None).get(
            "/api/broker/login/callback", {"s": "ok", "code": "200", "auth_code": fyers.issue_auth_code(),
                                           "state": query["state"][0]}
        )
        assert done.status_code == 200, done.content
        assert done.json()["status"] == "ACTIVE" and done.json()["token_valid_until"] is not None
        _no_secrets(done, fyers.secret_key)


def test_paper_and_dhan_re_validate_instead_of_a_login_page(api: Any, alice: Any, settings: Any) -> None:
    from brokers.simulators.dhan import CLIENT_ID, DhanSimulator

    paper = api(alice).post("/api/broker/connect", {"broker": "paper", "credentials": {}}, format="json").json()
    r = _start(api, alice, paper["id"])
    assert r.status_code == 200 and r.json()["method"] == "none" and r.json()["login_url"] is None

    with DhanSimulator(access_token="dhan-day-1") as dhan:
        _with_options(settings, "dhan", api_root=dhan.api_root, scrip_master_url=dhan.scrip_master_url, timeout=1.0)
        account = api(alice).post(
            "/api/broker/connect",
            {"broker": "dhan", "credentials": {"client_id": CLIENT_ID, "access_token": "dhan-day-1"}},
            format="json",
        ).json()
        assert account["status"] == "ACTIVE" and account["login_method"] == "token"
        r = _start(api, alice, account["id"])
        assert r.status_code == 200 and r.json()["method"] == "token" and r.json()["broker_account"]["status"] == "ACTIVE"

        dhan.set_fault("token")  # the day's token has run out
        r = _start(api, alice, account["id"])
        assert r.status_code == 400 and r.json()["error"]["code"] == "broker_credentials_rejected"
        assert "web portal" in r.json()["error"]["message"]
        assert BrokerAccount.objects.get(pk=account["id"]).status == BrokerAccountStatus.NEEDS_LOGIN

        dhan.set_fault(None)  # a new token pasted from the portal
        r = api(alice).post(f"/api/broker/accounts/{account['id']}/credentials",
                            {"credentials": {"access_token": "dhan-day-1"}}, format="json")
        assert r.status_code == 200 and r.json()["status"] == "ACTIVE"
        _no_secrets(r, "dhan-day-1")
        assert api(alice).post(f"/api/broker/accounts/{account['id']}/credentials",
                               {"credentials": {"pasword": "x"}}, format="json").json()["error"]["fields"] == {
            "credentials.pasword": ["Unknown credential field for Dhan."]}


def test_bob_cannot_change_alices_credentials(api: Any, alice: Any, bob: Any) -> None:
    paper = api(alice).post("/api/broker/connect", {"broker": "paper", "credentials": {}}, format="json").json()
    r = api(bob).post(f"/api/broker/accounts/{paper['id']}/credentials", {"credentials": {}}, format="json")
    assert r.status_code == 404


def test_new_kite_api_secret_drops_the_session(api: Any, alice: Any, zerodha_login: Any, kite: KiteSimulator) -> None:
    account = zerodha_login(alice)
    r = api(alice).post(f"/api/broker/accounts/{account['id']}/credentials",
                        {"credentials": {"api_secret": "rotated-secret"}}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "NEEDS_LOGIN" and r.json()["token_valid_until"] is None
    opened = crypto.decrypt_mapping(BrokerAccount.objects.get(pk=account["id"]).credentials, user_id=alice.pk,
                                    broker="zerodha")
    assert set(opened) == {"api_key", "api_secret"} and opened["api_secret"] == "rotated-secret"


def test_an_account_needing_login_is_announced_once_with_the_link(
    api: Any, alice: Any, zerodha_login: Any, kite: KiteSimulator, django_capture_on_commit_callbacks: Any
) -> None:
    account = zerodha_login(alice)
    assert broker_accounts_notify_login_needed() == 0  # just logged in: nothing to say
    # What the engine does on a broker's token error:
    BrokerAccount.objects.filter(pk=account["id"]).update(status=BrokerAccountStatus.NEEDS_LOGIN)
    with django_capture_on_commit_callbacks(execute=False):
        assert broker_accounts_notify_login_needed() == 1
        assert broker_accounts_notify_login_needed() == 0
    (note,) = Notification.objects.filter(user=alice)
    assert note.kind == "token_expired" and f"/api/broker/accounts/{account['id']}/login/start" in note.body
    listed = api(alice).get("/api/broker/accounts").json()[0]
    assert listed["status"] == "NEEDS_LOGIN" and listed["token_valid_until"] is None and not listed["token_valid"]

    # A new login clears the mark: the next expiry is announced again.
    started = _start(api, alice, account["id"]).json()
    assert _callback(api, request_token=kite.issue_request_token(), state=state_of(started["login_url"])).status_code == 200
    BrokerAccount.objects.filter(pk=account["id"]).update(status=BrokerAccountStatus.NEEDS_LOGIN)
    with django_capture_on_commit_callbacks(execute=False):
        assert broker_accounts_notify_login_needed() == 1
