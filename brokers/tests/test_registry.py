from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from brokers.angelone import AngelOneBroker
from brokers.base import BrokerAdapter
from brokers.dhan import DhanBroker
from brokers.fyers import FyersBroker
from brokers.paper import PaperBroker
from brokers.registry import ADAPTERS, BROKER_CHOICES, get_adapter_class, is_available
from brokers.zerodha import ZerodhaBroker


def test_every_planned_broker_has_an_adapter() -> None:
    assert ADAPTERS == {
        "paper": PaperBroker,
        "zerodha": ZerodhaBroker,
        "dhan": DhanBroker,
        "fyers": FyersBroker,
        "angelone": AngelOneBroker,
    }
    assert get_adapter_class("paper") is PaperBroker
    assert all(is_available(name) for name, _ in BROKER_CHOICES)
    assert not is_available("upstox")


@pytest.mark.parametrize("name", ["zerodha", "dhan", "fyers", "angelone"])
def test_live_adapters_mark_secrets_and_build_without_network(name: str) -> None:
    cls = ADAPTERS[name]
    fields = cls.credential_fields
    assert fields and len({f.name for f in fields}) == len(fields)
    public = {f.name for f in fields if not f.secret}
    assert public <= {"api_key", "client_id", "client_code", "app_id"}  # identifiers, never secrets
    assert any(f.secret for f in fields)
    # Building an adapter is cheap and offline; a missing session fails only when used.
    adapter = cls(account_ref="r1", credentials={}, options={"api_root": "http://127.0.0.1:9"})
    assert "r1" in repr(adapter)


def test_choices_cover_the_planned_brokers() -> None:
    assert [name for name, _ in BROKER_CHOICES] == ["paper", "zerodha", "dhan", "fyers", "angelone"]
    assert dict(BROKER_CHOICES)["zerodha"] == "Zerodha (Kite Connect)"
    assert dict(BROKER_CHOICES)["angelone"] == "Angel One"
    for name, cls in ADAPTERS.items():
        assert issubclass(cls, BrokerAdapter) and cls.name == name
        assert dict(BROKER_CHOICES)[name] == cls.display_name


@pytest.mark.parametrize("name", ["upstox", "nosuch"])
def test_unavailable_brokers_raise_key_error(name: str) -> None:
    with pytest.raises(KeyError):
        get_adapter_class(name)


def test_brokers_package_imports_no_django() -> None:
    code = (
        "import sys, brokers.base, brokers.universe, brokers.paper, brokers.registry\n"
        "import brokers.zerodha.ticker, brokers.simulators.kite, brokers.simulators.dhan\n"
        "import brokers.simulators.fyers, brokers.simulators.angelone\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
        "# kiteconnect (and with it Twisted's reactor) loads on first use, not with the registry\n"
        "assert 'kiteconnect' not in sys.modules and 'twisted' not in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, env={"PATH": ""})


@pytest.mark.parametrize("name", ["zerodha", "dhan", "fyers", "angelone"])
def test_broker_tests_cannot_reach_a_real_broker(name: str) -> None:
    # The suite's autouse guard refuses any connection that is not local; an adapter built
    # without api_root aims at the real broker and must fail here instead of reaching it.
    for host in ("api.kite.trade", "203.0.113.7"):
        with pytest.raises(AssertionError, match="set api_root"):
            socket.create_connection((host, 443), timeout=1)
    credentials = {"access_token": "t", "api_key": "k", "client_code": "c", "pin": "1", "totp_secret": "JBSWY3DP"}
    adapter = ADAPTERS[name](account_ref="r1", credentials=credentials)
    with pytest.raises(Exception) as caught:  # noqa: B017 - kiteconnect's call wraps it in a BrokerError
        adapter.positions()
    error: BaseException | None = caught.value
    while error is not None and not isinstance(error, AssertionError):
        error = error.__cause__ or error.__context__
    assert error is not None and "set api_root" in str(error)
