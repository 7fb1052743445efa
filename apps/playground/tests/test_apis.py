from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.operations.tests.helpers import make_strategy
from apps.playground import services, tasks
from apps.playground.models import BacktestRun
from apps.playground.tasks import run_backtest

from .test_backtest import CSV

pytestmark = pytest.mark.django_db

RULES = {"buy_time": "09:16", "sell_time": "09:20", "stop_loss": "95.00", "quantity": 10}


def _submit(api: Any, user: Any, **body: Any) -> Any:
    return api(user).post("/api/playground/backtests", body, format="json")


def test_upload_run_and_read_the_result(api: Any, alice: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(run_backtest, "apply_async", lambda args, queue: queued.append((args, queue)))
    with django_capture_on_commit_callbacks(execute=True):
        r = _submit(api, alice, source="upload", csv=CSV, symbol="demo", **RULES)
    assert r.status_code == 202, r.content
    run = r.json()
    assert (run["status"], run["progress"], run["params"]["symbol"]) == ("QUEUED", 0, "DEMO")
    assert run["params"]["start"] == "2025-01-06" and run["params"]["end"] == "2025-01-08"
    assert queued == [([run["id"]], "default")]
    assert tasks.run_backtest(run["id"]) == "done"
    assert tasks.run_backtest(run["id"]) == "skipped"  # a second delivery does nothing
    body = api(alice).get(f"/api/playground/runs/{run['id']}").json()
    assert (body["status"], body["progress"]) == ("DONE", 100)
    assert body["result"]["summary"]["total_pnl"] == "-75.00" and len(body["result"]["trades"]) == 3
    assert body["result"]["bars"] == 16
    listed = api(alice).get("/api/playground/runs").json()
    assert listed["count"] == 1 and "result" not in listed["results"][0]


def test_upload_as_a_multipart_file(api: Any, alice: Any) -> None:
    upload = SimpleUploadedFile("bars.csv", CSV.encode(), content_type="text/csv")
    r = api(alice).post("/api/playground/backtests", {"source": "upload", "file": upload, **RULES}, format="multipart")
    assert r.status_code == 202, r.content
    tasks.run_backtest(r.json()["id"])
    assert BacktestRun.objects.get().result["summary"]["trades"] == 3


def test_bad_csv_is_refused_naming_the_line(api: Any, alice: Any) -> None:
    bad = "timestamp,open,high,low,close\n2025-01-06 09:15,100,101,99,100\n2025-01-06 09:16,100,99,98,100\n"
    r = _submit(api, alice, source="upload", csv=bad, **RULES)
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["csv"][0].startswith("line 3:")
    assert not BacktestRun.objects.exists()


def test_sample_and_random_walk_runs(api: Any, alice: Any) -> None:
    samples = api(alice).get("/api/playground/samples").json()
    assert [s["symbol"] for s in samples] == ["INFY", "TCS"]
    r = _submit(api, alice, source="sample", symbol="tcs", start="2025-01-06", end="2025-01-31",
                buy_time="09:20", sell_time="15:10", stop_loss="3300.00", quantity=5)
    assert r.status_code == 202, r.content
    tasks.run_backtest(r.json()["id"])
    result = BacktestRun.objects.get(pk=r.json()["id"]).result
    assert result["trading_days"] == 20 and result["summary"]["trades"] == 20
    r = _submit(api, alice, source="random", symbol="INFY", start="2025-01-01", end="2025-03-31", seed=7,
                buy_time="09:20", sell_time="15:10", stop_loss="1400.00", quantity=5)
    from brokers.universe import get_instrument

    assert Decimal(r.json()["params"]["start_price"]) == get_instrument("INFY").reference_price
    tasks.run_backtest(r.json()["id"])
    first = BacktestRun.objects.get(pk=r.json()["id"]).result
    again = _submit(api, alice, source="random", symbol="INFY", start="2025-01-01", end="2025-03-31", seed=7,
                    buy_time="09:20", sell_time="15:10", stop_loss="1400.00", quantity=5).json()["id"]
    tasks.run_backtest(again)
    assert BacktestRun.objects.get(pk=again).result["trades"] == first["trades"]  # seeded: the same walk


def test_rules_come_from_an_own_strategy(api: Any, alice: Any, bob: Any) -> None:
    s = make_strategy(alice, symbol="INFY", stop_loss=Decimal("1450.00"), quantity=3)
    r = _submit(api, alice, source="sample", strategy=s.pk)
    assert r.status_code == 202, r.content
    params = r.json()["params"]
    assert (params["symbol"], params["stop_loss"], params["quantity"], params["buy_time"]) == ("INFY", "1450.00", 3, "09:20:00")
    assert _submit(api, bob, source="sample", strategy=s.pk).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "sample", "symbol": "TCS"}, "buy_time"),
        ({"source": "sample", "symbol": "TCS", **RULES, "sell_time": "09:10"}, "sell_time"),
        ({"source": "sample", "symbol": "NOPE", **RULES}, "symbol"),
        ({"source": "sample", "symbol": "TCS", **RULES, "start": "2024-01-01", "end": "2024-02-01"}, "start"),
        ({"source": "random", "symbol": "TCS", **RULES}, "start"),
        ({"source": "random", "symbol": "XYZ", "start": "2025-01-01", "end": "2025-01-02", **RULES}, "start_price"),
        ({"source": "random", "start": "2020-01-01", "end": "2025-01-01", "start_price": "10", **RULES}, "end"),
        ({"source": "upload", **RULES}, "csv"),
        ({"source": "wind", **RULES}, "source"),
        ({"source": "sample", "symbol": "TCS", **RULES, "stoploss": "1"}, "stoploss"),
    ],
)
def test_invalid_submissions_name_the_field(api: Any, alice: Any, body: Any, field: str) -> None:
    r = _submit(api, alice, **body)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert not BacktestRun.objects.exists()


def test_feature_flag_off_refuses_new_runs(api: Any, alice: Any, admin_user: Any) -> None:
    from apps.operations.services import settings_update

    settings_update(actor=admin_user, values={"feature.playground": False})
    r = _submit(api, alice, source="sample", symbol="TCS", **RULES)
    assert r.status_code == 403 and r.json()["error"]["code"] == "feature_disabled"


def test_a_failing_run_records_why(alice: Any) -> None:
    run = services.backtest_submit(
        user=alice, source="upload", csv=CSV, buy_time=dt.time(9, 16), sell_time=dt.time(9, 20),
        stop_loss=Decimal("95"), quantity=1,
    )
    BacktestRun.objects.filter(pk=run.pk).update(upload="garbage")
    assert tasks.run_backtest(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "FAILED" and "line 1" in run.error


def test_ownership_bob_cannot_see_alices_runs(api: Any, alice: Any, bob: Any, broker_user: Any) -> None:
    rid = _submit(api, alice, source="sample", symbol="TCS", **RULES).json()["id"]
    r = api(bob).get(f"/api/playground/runs/{rid}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api(bob).get("/api/playground/runs").json()["count"] == 0
    assert api(broker_user).get("/api/playground/runs").status_code == 403
    assert api(broker_user).post("/api/playground/backtests", {}, format="json").status_code == 403
    assert api(None).get(f"/api/playground/runs/{rid}").status_code == 401
