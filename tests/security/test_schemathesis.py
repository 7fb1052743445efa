"""Property-based API fuzzing from the OpenAPI schema (/api/schema/) with schemathesis, over
real HTTP, as a signed-in trader (every operation) and as an admin (the admin and broker
staff operations). Checked on every response: no 5xx, the body matches the documented
schema for its status, the content type is the documented one.

Bounded: SCHEMATHESIS_EXAMPLES examples per operation: 1 in `make test` (every operation
fuzzed once per role, ~30 s), 25 in `make security` (about 4,500 cases, a few minutes);
0 turns it off. Statuses the schema does
not document (drf-spectacular documents the success status only) are counted and printed,
not failed: see the summary line.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import PASSWORD
from tests.security.helpers import SUMMARY

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "1"))
fuzzing = pytest.mark.skipif(EXAMPLES <= 0, reason="set SCHEMATHESIS_EXAMPLES (make security) to fuzz the API")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, response_headers_conformance]
STATS: Counter[str] = Counter()
UNDOCUMENTED: Counter[str] = Counter()
FAILURES: list[str] = []
ADMIN_PATHS = r"^/api/(admin/|broker/(stats|kill|static-ips))"
_TOKEN = pytest.StashKey[str]()




def _generated_schema() -> dict[str, Any]:
    """The document /api/schema/ serves, generated in-process at collection time (the lazy
    `schemathesis.pytest.from_fixture` loader does not run on pytest 9); the first test
    checks that the served schema is this one."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


SCHEMA_DOC = _generated_schema()
schema = schemathesis.openapi.from_dict(SCHEMA_DOC)


@pytest.mark.django_db(transaction=True)
def test_fuzzed_schema_is_the_one_the_server_serves(live_server: Any) -> None:
    served = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert served.status_code == 200
    assert served.json()["paths"] == SCHEMA_DOC["paths"]
    STATS["operations"] = sum(len([m for m in ops if m in ("get", "post", "put", "patch", "delete")])
                              for ops in SCHEMA_DOC["paths"].values())


def _token(live_server: Any, make_user: Any, role: str) -> str:
    """A real sign-in over HTTP: the token the fuzzer sends is one the login endpoint issued."""
    user = make_user(role)
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        if role == "user":  # a trader with something to find: a broker account and a strategy
            tokens = http.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).json()
            auth = {"Authorization": f"Bearer {tokens['access']}"}
            account = http.post("/api/broker/connect", json={"broker": "paper", "credentials": {}}, headers=auth).json()
            http.post("/api/strategy/create", headers=auth, json={
                "name": "fuzz", "symbol": "TCS", "quantity": 1, "buy_time": "09:20:00", "sell_time": "15:10:00",
                "stop_loss": "100.00", "broker_account": account["id"]})
        r = http.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["access"])


def _run(case: Any, token: str, base_url: str) -> None:
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    STATS["cases"] += 1
    STATS[f"{response.status_code // 100}xx"] += 1
    try:
        case.validate_response(response, checks=[status_code_conformance])
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup; counted, not failed
        UNDOCUMENTED[f"{case.method} {case.path} -> {response.status_code}"] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        FAILURES.append(f"{case.as_curl_command()} -> {response.status_code}: {str(exc)[:300]}")
        raise


FUZZ = settings(max_examples=max(EXAMPLES, 1), deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@fuzzing
@pytest.mark.django_db(transaction=True)
@schema.exclude(path_regex=ADMIN_PATHS).parametrize()
@FUZZ
def test_api_as_a_trader_has_no_server_errors_or_schema_violations(case: Any, live_server: Any, make_user: Any,
                                                                     request: Any) -> None:
    if _TOKEN not in request.node.stash:
        request.node.stash[_TOKEN] = _token(live_server, make_user, "user")
    _run(case, request.node.stash[_TOKEN], live_server.url)


@fuzzing
@pytest.mark.django_db(transaction=True)
@schema.include(path_regex=ADMIN_PATHS).parametrize()
@FUZZ
def test_api_as_an_admin_has_no_server_errors_or_schema_violations(case: Any, live_server: Any, make_user: Any,
                                                                     request: Any) -> None:
    if _TOKEN not in request.node.stash:
        request.node.stash[_TOKEN] = _token(live_server, make_user, "admin")
    _run(case, request.node.stash[_TOKEN], live_server.url)


def test_wall_clock_times_are_patterned_strings_not_rfc3339_times() -> None:
    """Strategy times are IST wall-clock ("09:20:00", no offset). `format: time` would mean
    RFC 3339 full-time, which needs an offset: every real response would violate it."""
    import re

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            assert node.get("format") != "time", f"{path} is declared RFC 3339 `format: time`"
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")
            if path.endswith("_time") and node.get("type") == "string":
                yield path, node
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{path}/{i}")

    times = dict(walk(SCHEMA_DOC, ""))
    output = SCHEMA_DOC["components"]["schemas"]["StrategyOutput"]["properties"]["buy_time"]
    request = SCHEMA_DOC["components"]["schemas"]["StrategyFieldsRequest"]["properties"]["buy_time"]
    assert len(times) >= 6 and all("pattern" in t and "IST" in t["description"] for t in times.values())
    assert re.fullmatch(output["pattern"], "09:20:00") and not re.fullmatch(output["pattern"], "09:20")
    for accepted in ("09:20", "09:20:05", "00:00", "23:59:59"):
        assert re.fullmatch(request["pattern"], accepted), accepted
    for refused in ("09:20:00+05:30", "24:00", "9:20", "09:60", "09:20:00.5", "\u0669\u0669:20"):
        assert not re.fullmatch(request["pattern"], refused), refused


def test_schemathesis_summary() -> None:
    """Runs last in this module (pytest keeps file order): prints the figures of the fuzzing."""
    if not STATS["cases"]:
        pytest.skip("the fuzzing tests did not run")
    top = ", ".join(f"{k} x{v}" for k, v in UNDOCUMENTED.most_common(8))
    SUMMARY.append(f"schemathesis: {STATS['cases']} cases over {STATS['operations']} operations (up to {EXAMPLES} "
                   f"examples each), statuses {dict(sorted((k, v) for k, v in STATS.items() if 'xx' in k))}; server errors + schema "
                   f"violations: {len(FAILURES)}; responses with a status the schema does not document: "
                   f"{sum(UNDOCUMENTED.values())} ({len(UNDOCUMENTED)} operation/status pairs, e.g. {top})")
    print("\n" + SUMMARY[-1])
    for failure in FAILURES:
        print("  " + failure)
