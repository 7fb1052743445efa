"""Every API endpoint x every role against the declared policy table (apps.core.policy).

The test enumerates the URL configuration itself, so an endpoint added without a policy
entry fails here, and so does a role reaching an endpoint the table denies it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.policy import GUEST, POLICY, ROLES

METHODS = ("get", "post", "put", "patch", "delete")


def _api_routes() -> Iterator[tuple[str, str, Any]]:
    """(route name, path with sample ids, view class) for every pattern under /api/."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, str, Any]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("api/"):
                    path = "/" + re.sub(r"<(?:\w+:)?\w+>", "999999", route)
                    yield p.name, path, getattr(p.callback, "view_class", None)

    yield from walk(get_resolver().url_patterns, "")


ROUTES = sorted(_api_routes(), key=lambda r: r[1])


def test_every_api_route_has_a_policy() -> None:
    missing = [path for name, path, _ in ROUTES if name not in POLICY]
    assert missing == [], f"routes without an entry in apps.core.policy.POLICY: {missing}"


def test_policy_has_no_stale_entries() -> None:
    names = {name for name, _, _ in ROUTES}
    assert set(POLICY) - names == set()


def _cases() -> Iterator[Any]:
    for name, path, view in ROUTES:
        methods = [m for m in METHODS if view is not None and hasattr(view, m)]
        for method in methods:
            for role in ROLES:
                yield pytest.param(name, path, method, role, id=f"{method.upper()} {path} as {role}")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path", "method", "role"), list(_cases()))
def test_role_matrix(name: str, path: str, method: str, role: str, make_user: Any, api: Any) -> None:
    user = None if role == GUEST else make_user(role)
    response = getattr(api(user), method)(path, {}, format="json")
    allowed = role in POLICY[name]
    if allowed:
        assert response.status_code not in (401, 403), response.content
    elif role == GUEST:
        assert response.status_code == 401, response.content
        assert response.json()["error"]["code"] == "not_authenticated"
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["/api/auth/login", "/api/broker/accounts", "/api/admin/users"])
def test_endpoint_with_a_bad_token_answers_401_json(route: str, api: Any) -> None:
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    response = client.get(route) if route != "/api/auth/login" else client.post(route, {}, format="json")
    if route == "/api/auth/login":
        assert response.status_code == 400  # login ignores stale headers and validates the body
    else:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_not_valid"
