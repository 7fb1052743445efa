"""Bad input gets a clear 4xx in one JSON shape, naming the problem; never a 500 or a partial write."""

from __future__ import annotations

from typing import Any

import pytest

from apps.accounts.models import User

pytestmark = pytest.mark.django_db


def _post(api: Any, path: str, body: bytes | str, content_type: str = "application/json", user: Any = None) -> Any:
    return api(user).generic("POST", path, body, content_type=content_type)


def test_malformed_json_is_a_400_parse_error(api: Any) -> None:
    r = _post(api, "/api/auth/register", b'{"email": "a@b.c", ')
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "parse_error"
    assert User.objects.count() == 0


def test_wrong_types_name_the_field(api: Any) -> None:
    r = api(None).post("/api/auth/register", {"email": 12, "password": ["x"]}, format="json")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid"
    assert set(err["fields"]) == {"email", "password"}
    assert "email" in err["message"] and "password" in err["message"]


def test_unknown_fields_are_named(api: Any) -> None:
    r = api(None).post("/api/auth/login", {"email": "a@b.test", "password": "x", "remember": True}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"remember": ["Unknown field."]}


def test_a_list_instead_of_an_object(api: Any) -> None:
    r = api(None).post("/api/auth/login", [1, 2], format="json")
    assert r.status_code == 400
    assert "non_field_errors" in r.json()["error"]["fields"]


def test_wrong_content_type_is_415(api: Any) -> None:
    r = _post(api, "/api/auth/login", "email=a", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"


def test_oversized_body_is_413_before_parsing(api: Any, settings: Any) -> None:
    settings.MAX_REQUEST_BODY_BYTES = 1000
    r = _post(api, "/api/auth/register", b'{"email": "' + b"a" * 2000 + b'@x.test", "password": "x"}')
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert User.objects.count() == 0


def test_unknown_api_path_is_json_404(api: Any) -> None:
    r = api(None).get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_method_not_allowed_is_json_405(api: Any, alice: Any) -> None:
    r = api(alice).put("/api/broker/connect", {}, format="json")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_health_and_readiness(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["checks"]["postgres"]["ok"] and body["checks"]["redis"]["ok"]


def test_openapi_schema_and_docs_are_served(client: Any) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/auth/login" in paths and "/api/broker/connect" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content and b"cdn." not in docs.content
