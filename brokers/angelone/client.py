"""A thin Angel One SmartAPI REST client, and the TOTP that its login needs.

Why not `smartapi-python`: it looks up the machine's public IP over the network when imported,
logs request headers (the JWT included) to a log folder it creates in the working directory,
and returns error bodies instead of raising. The routes and headers here are the SDK's.

Replies are {"status": true | false, "message", "errorcode", "data"}; Angel often answers a
refusal with HTTP 200 and status false, and some replies spell the keys "success"/"errorCode".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from collections.abc import Mapping
from typing import Any

from brokers.base import BrokerError, ErrorKind
from brokers.common import HttpClient, json_loads, kind_for_status

DEFAULT_API_ROOT = "https://apiconnect.angelone.in"
DEFAULT_SCRIP_MASTER_URL = "https://margincalculator.angelbroking.com/OpenAPI_File/files/OpenAPIScripMaster.json"

ROUTES = {
    "login": "/rest/auth/angelbroking/user/v1/loginByPassword",
    "profile": "/rest/secure/angelbroking/user/v1/getProfile",
    "place": "/rest/secure/angelbroking/order/v1/placeOrder",
    "cancel": "/rest/secure/angelbroking/order/v1/cancelOrder",
    "order_book": "/rest/secure/angelbroking/order/v1/getOrderBook",
    "details": "/rest/secure/angelbroking/order/v1/details/{unique_order_id}",
    "positions": "/rest/secure/angelbroking/order/v1/getPosition",
    "ltp": "/rest/secure/angelbroking/order/v1/getLtpData",
}

# AG8001 invalid token, AG8002 token expired, AG8003 token missing, AB8050/AB8051 refresh token
# invalid/expired, AB1010 session expired, AB1011 client not logged in.
TOKEN_CODES = frozenset({"AG8001", "AG8002", "AG8003", "AB8050", "AB8051", "AB1010", "AB1011"})
# AB1004 "Something went wrong, please try after some time", AB2000 internal server error.
UNKNOWN_CODES = frozenset({"AB1004", "AB2000"})
RATE_LIMIT_TEXT = "exceeding access rate"


def totp(secret: str, at: float | None = None, *, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 time-based one-time password (SHA-1), from the base32 seed shown at enrolment."""
    cleaned = secret.replace(" ", "").upper()
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as exc:
        raise BrokerError("Angel One: the TOTP secret is not valid base32", kind=ErrorKind.CREDENTIALS) from exc
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


def angel_error(status: int, body: Any, text: str = "") -> BrokerError:
    code = message = None
    if isinstance(body, Mapping):
        code = body.get("errorcode") or body.get("errorCode")
        message = body.get("message")
    if status == 429 or RATE_LIMIT_TEXT in (text or str(message or "")).lower():
        kind = ErrorKind.RATE_LIMIT
    elif status >= 500 or code in UNKNOWN_CODES:
        kind = ErrorKind.UNKNOWN
    elif code in TOKEN_CODES or status == 401:
        kind = ErrorKind.TOKEN
    elif status >= 400 and not code:
        kind = kind_for_status(status)
    else:
        kind = ErrorKind.INPUT
    detail = message or text[:200] or "no error details"
    return BrokerError(f"Angel One {code or status}: {detail}", kind=kind, raw={"status": status, "body": body})


class AngelClient:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        local_ip: str = "127.0.0.1",
        public_ip: str = "127.0.0.1",
        mac_address: str = "00:00:00:00:00:00",
    ) -> None:
        self._http = HttpClient(
            broker="Angel One",
            base_url=base_url,
            timeout=timeout,
            headers={
                "Accept": "application/json",
                "X-UserType": "USER",
                "X-SourceID": "WEB",
                "X-ClientLocalIP": local_ip,
                "X-ClientPublicIP": public_ip,
                "X-MACAddress": mac_address,
                "X-PrivateKey": api_key,
            },
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        route: str,
        *,
        jwt: str | None = None,
        json_body: Any = None,
        path_args: Mapping[str, str] | None = None,
    ) -> Any:
        """The reply's `data` (None when Angel has none, e.g. an empty order book)."""
        path = ROUTES[route].format(**(path_args or {}))
        headers = {"Authorization": f"Bearer {jwt}"} if jwt else None
        response = self._http.send(method, path, json_body=json_body, headers=headers)
        try:
            body = json_loads(response.content)
        except ValueError:
            if response.is_success:
                raise BrokerError(
                    f"Angel One: unreadable reply to {route}", kind=ErrorKind.UNKNOWN, raw=response.text[:500]
                ) from None
            raise angel_error(response.status_code, None, response.text) from None
        ok = isinstance(body, Mapping) and (body.get("status") is True or body.get("success") is True)
        if not response.is_success or not ok:
            raise angel_error(response.status_code, body)
        return body.get("data")

    def download_scrip_master(self, url: str) -> dict[tuple[str, str], tuple[str, str]]:
        """(exchange, symbol) -> (symbol token, Angel trading symbol) for NSE and BSE equities."""
        response = self._http.send("GET", "", url=url)
        if not response.is_success:
            raise BrokerError(
                f"Angel One scrip master download failed: HTTP {response.status_code}",
                kind=kind_for_status(response.status_code),
            )
        return parse_scrip_master(json_loads(response.content))


def parse_scrip_master(rows: Any) -> dict[tuple[str, str], tuple[str, str]]:
    result: dict[tuple[str, str], tuple[str, str]] = {}
    for row in rows or []:
        exchange, symbol, token = row.get("exch_seg"), str(row.get("symbol") or ""), str(row.get("token") or "")
        if row.get("instrumenttype") or not token:
            continue  # derivatives and indices carry an instrument type
        if exchange == "NSE" and symbol.endswith("-EQ"):
            result[("NSE", symbol[:-3])] = (token, symbol)
        elif exchange == "BSE":
            result[("BSE", symbol)] = (token, symbol)
    return result
