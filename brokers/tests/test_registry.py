from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from brokers.base import BrokerAdapter
from brokers.paper import PaperBroker
from brokers.registry import ADAPTERS, BROKER_CHOICES, get_adapter_class, is_available


def test_paper_is_the_only_adapter_so_far() -> None:
    assert set(ADAPTERS) == {"paper"}
    assert ADAPTERS["paper"] is PaperBroker
    assert get_adapter_class("paper") is PaperBroker
    assert is_available("paper") and not is_available("zerodha")


def test_choices_cover_the_planned_brokers() -> None:
    assert [name for name, _ in BROKER_CHOICES] == ["paper", "zerodha", "dhan", "fyers", "angelone"]
    assert dict(BROKER_CHOICES)["zerodha"] == "Zerodha (Kite Connect)"
    assert dict(BROKER_CHOICES)["angelone"] == "Angel One"
    for name, cls in ADAPTERS.items():
        assert issubclass(cls, BrokerAdapter) and cls.name == name
        assert dict(BROKER_CHOICES)[name] == cls.display_name


@pytest.mark.parametrize("name", ["zerodha", "nosuch"])
def test_unavailable_brokers_raise_key_error(name: str) -> None:
    with pytest.raises(KeyError):
        get_adapter_class(name)


def test_brokers_package_imports_no_django() -> None:
    code = (
        "import sys, brokers.base, brokers.universe, brokers.paper, brokers.registry\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, env={"PATH": ""})
