"""A thin DhanHQ v2 REST client: JSON in, JSON out, every failure a `BrokerError`.

Why not the `dhanhq` SDK: it never raises (a timeout and a margin rejection both come back as
{"status": "failure"}), so an unknown outcome cannot be told from a final refusal, and it
pulls in pandas. The routes and fields here follow the SDK and Dhan's v2 documentation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from brokers.base import BrokerError, ErrorKind
from brokers.common import HttpClient, json_loads, kind_for_status

DEFAULT_API_ROOT = "https://api.dhan.co/v2"
DEFAULT_SCRIP_MASTER_URL = "https://images.dhan.co/api-data/api-scrip-master.csv"

# Dhan's documented error codes (Annexure), by what they mean for a retry.
ERROR_KINDS = {
    "DH-901": ErrorKind.TOKEN,  # Invalid_Authentication: client id or access token invalid or expired
    "DH-902": ErrorKind.CREDENTIALS,  # Invalid_Access: not subscribed to Data/Trading APIs
    "DH-903": ErrorKind.CREDENTIALS,  # User_Account: segment not active, account issue
    "DH-904": ErrorKind.RATE_LIMIT,  # Rate_Limit
    "DH-905": ErrorKind.INPUT,  # Input_Exception: missing or bad fields
    "DH-906": ErrorKind.REJECTED,  # Order_Error: the order was refused
    "DH-907": ErrorKind.INPUT,  # Data_Error: no data for the request
    "DH-908": ErrorKind.UNKNOWN,  # Internal_Server_Error
    "DH-909": ErrorKind.UNKNOWN,  # Network_Error
    "DH-910": ErrorKind.UNKNOWN,  # Others
}


def dhan_error(status: int, body: Any) -> BrokerError:
    code = body.get("errorCode") if isinstance(body, Mapping) else None
    message = body.get("errorMessage") if isinstance(body, Mapping) else None
    kind = ERROR_KINDS.get(str(code)) if code else None
    if kind is None or status == 429:
        kind = kind_for_status(status)
    text = f"Dhan {code}: {message}" if code else f"Dhan HTTP {status}: {message or 'no error details'}"
    return BrokerError(text, kind=kind, raw={"status": status, "body": body})


class DhanClient:
    def __init__(self, *, client_id: str, access_token: str, base_url: str, timeout: float) -> None:
        self.client_id = client_id
        self._http = HttpClient(
            broker="Dhan",
            base_url=base_url,
            timeout=timeout,
            headers={"access-token": access_token, "client-id": client_id, "Accept": "application/json"},
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, json_body: Any = None) -> Any:
        response = self._http.send(method, path, json_body=json_body)
        try:
            body = json_loads(response.content) if response.content else None
        except ValueError:
            body = None
            if response.is_success:
                raise BrokerError(
                    f"Dhan: unreadable reply to {method} {path}", kind=ErrorKind.UNKNOWN, raw=response.text[:500]
                ) from None
        if not response.is_success:
            raise dhan_error(response.status_code, body)
        return body

    def download_scrip_master(self, url: str) -> dict[tuple[str, str], str]:
        """(exchange, trading symbol) -> security id for equities, from Dhan's scrip master CSV."""
        response = self._http.send("GET", "", url=url)
        if not response.is_success:
            raise BrokerError(
                f"Dhan scrip master download failed: HTTP {response.status_code}",
                kind=kind_for_status(response.status_code),
            )
        return parse_scrip_master(response.text)


def parse_scrip_master(text: str) -> dict[tuple[str, str], str]:
    ids: dict[tuple[str, str], str] = {}
    preferred: set[tuple[str, str]] = set()
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("SEM_SEGMENT") != "E" or row.get("SEM_INSTRUMENT_NAME") != "EQUITY":
            continue
        key = (row.get("SEM_EXM_EXCH_ID", ""), row.get("SEM_TRADING_SYMBOL", ""))
        # NSE lists some symbols in several series (EQ, BE, SM...): the EQ line wins.
        if key in preferred:
            continue
        ids[key] = row.get("SEM_SMST_SECURITY_ID", "")
        if key[0] != "NSE" or row.get("SEM_SERIES") == "EQ":
            preferred.add(key)
    return ids
