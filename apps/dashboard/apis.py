from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.paging import PageInput, page_body, paged, paginate, split_page
from apps.orders.models import IntentStatus
from apps.strategies.apis import OrderOutput
from apps.strategies.calendar import trading_day_of

from . import selectors

MONEY = {"max_digits": 16, "decimal_places": 2}
MAX_RANGE_DAYS = 366


class PositionOutput(serializers.Serializer):
    strategy = serializers.IntegerField()
    name = serializers.CharField()
    symbol = serializers.CharField()
    position = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Shares still held.")
    entry_price = serializers.DecimalField(allow_null=True, **MONEY)
    exit_price = serializers.DecimalField(allow_null=True, **MONEY)
    exit_reason = serializers.CharField(allow_null=True)
    last_price = serializers.DecimalField(allow_null=True, **MONEY)
    realised_pnl = serializers.DecimalField(allow_null=True, **MONEY)
    unrealised_pnl = serializers.DecimalField(allow_null=True, **MONEY)


class StrategyPnlOutput(serializers.Serializer):
    strategy = serializers.IntegerField()
    name = serializers.CharField()
    symbol = serializers.CharField()
    pnl = serializers.DecimalField(**MONEY)
    trades = serializers.IntegerField()
    wins = serializers.IntegerField()


class DayPnlOutput(serializers.Serializer):
    day = serializers.DateField()
    pnl = serializers.DecimalField(**MONEY)
    trades = serializers.IntegerField()


class RealisedOutput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    total = serializers.DecimalField(**MONEY)
    by_strategy = StrategyPnlOutput(many=True)
    by_day = DayPnlOutput(many=True)


class DashboardOutput(serializers.Serializer):
    trading_day = serializers.DateField()
    positions = PositionOutput(many=True)
    unrealised_total = serializers.DecimalField(**MONEY)
    realised = RealisedOutput()
    history = paged(OrderOutput)


class DashboardApi(APIView):
    """The caller's own trading: today's positions, P&L, and the paged order history."""

    class Filter(PageInput):
        start = serializers.DateField(required=False, help_text="First trading day of realised P&L (default: 30 days ago).")
        end = serializers.DateField(required=False, help_text="Last trading day of realised P&L (default: today).")
        strategy = serializers.IntegerField(min_value=1, required=False, help_text="History of one strategy.")
        status = serializers.ChoiceField(choices=IntentStatus.choices, required=False, help_text="History filter.")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            end = attrs.get("end") or trading_day_of(timezone.now())
            start = attrs.get("start") or end - dt.timedelta(days=30)
            if start > end:
                raise serializers.ValidationError({"start": ["Must not be after end."]})
            if (end - start).days > MAX_RANGE_DAYS:
                raise serializers.ValidationError({"start": [f"At most {MAX_RANGE_DAYS} days before end."]})
            return attrs | {"start": start, "end": end}

    @extend_schema(parameters=[Filter], responses={200: DashboardOutput})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        today = selectors.positions_today(user=request.user)
        realised = selectors.realised_pnl(user=request.user, start=f["start"], end=f["end"])
        history_qs = selectors.execution_history(user=request.user, strategy=f.get("strategy"), status=f.get("status"))
        count, rows = paginate(history_qs, page=page, page_size=size)
        body = {
            **today,
            "realised": realised,
            "history": page_body(count=count, page=page, page_size=size, results=rows),
        }
        return Response(DashboardOutput(body).data)
