"""A thin Fyers API v3 REST client. Every reply carries {"s": "ok" | "error", "code", "message"}.

Why not the `fyers-apiv3` SDK: it pins old requests/aiohttp/setuptools, writes log files into
the working directory, and returns error bodies instead of raising (a timeout comes back as a
dict), so an unknown outcome cannot be told from a refusal. Routes follow the SDK's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brokers.base import BrokerError, ErrorKind
from brokers.common import HttpClient, json_loads, kind_for_status

DEFAULT_API_ROOT = "https://api-t1.fyers.in"
API_PREFIX = "/api/v3"
DATA_PREFIX = "/data"

TOKEN_CODES = frozenset({-8, -15, -16, -17})  # expired, invalid, unauthenticated token
CREDENTIAL_CODES = frozenset({-352})  # invalid app id
REJECTED_CODES = frozenset({-99})  # order refused by the RMS (funds, limits)
RATE_LIMIT_CODES = frozenset({-429, 429})


def fyers_error(status: int, body: Any) -> BrokerError:
    code = body.get("code") if isinstance(body, Mapping) else None
    message = body.get("message") if isinstance(body, Mapping) else None
    if status == 429 or code in RATE_LIMIT_CODES:
        kind = ErrorKind.RATE_LIMIT
    elif status >= 500:
        kind = ErrorKind.UNKNOWN
    elif code in TOKEN_CODES or status == 401:
        kind = ErrorKind.TOKEN
    elif code in CREDENTIAL_CODES:
        kind = ErrorKind.CREDENTIALS
    elif code in REJECTED_CODES:
        kind = ErrorKind.REJECTED
    elif status >= 400 or code is not None:
        kind = ErrorKind.INPUT
    else:
        kind = kind_for_status(status)
    return BrokerError(
        f"Fyers {code}: {message or 'no error details'}", kind=kind, raw={"status": status, "body": body}
    )


class FyersClient:
    def __init__(self, *, app_id: str, access_token: str, base_url: str, timeout: float) -> None:
        headers = {"version": "3", "Accept": "application/json"}
        if access_token:  # the login call goes without one
            headers["Authorization"] = f"{app_id}:{access_token}"
        self._http = HttpClient(broker="Fyers", base_url=base_url, timeout=timeout, headers=headers)

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        prefix: str = API_PREFIX,
    ) -> dict[str, Any]:
        response = self._http.send(method, prefix + path, json_body=json_body, params=params)
        try:
            body = json_loads(response.content)
        except ValueError:
            if response.is_success:
                raise BrokerError(
                    f"Fyers: unreadable reply to {method} {path}", kind=ErrorKind.UNKNOWN, raw=response.text[:500]
                ) from None
            raise fyers_error(response.status_code, None) from None
        if not response.is_success or not isinstance(body, dict) or body.get("s") != "ok":
            raise fyers_error(response.status_code, body)
        return body
