from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.serializers import StrictSerializer

from . import calendar, runtime, selectors, services
from .models import Exchange, Product, StrategyStatus

TIME_FORMAT = "%H:%M:%S"


class StrategyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField()
    symbol = serializers.CharField()
    exchange = serializers.CharField()
    quantity = serializers.IntegerField()
    buy_time = serializers.TimeField(format=TIME_FORMAT)
    sell_time = serializers.TimeField(format=TIME_FORMAT)
    stop_loss = serializers.DecimalField(max_digits=12, decimal_places=2)
    product = serializers.CharField()
    days = serializers.ListField(child=serializers.IntegerField())
    broker_account = serializers.IntegerField(source="broker_account_id")
    status = serializers.CharField()
    status_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class OrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.CharField()
    leg = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.CharField()
    quantity = serializers.IntegerField()
    filled_quantity = serializers.IntegerField()
    price = serializers.DecimalField(source="average_price", max_digits=14, decimal_places=2, allow_null=True)
    tag = serializers.CharField()
    broker_order_id = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    trading_day = serializers.DateField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    filled_at = serializers.DateTimeField(allow_null=True)


class StrategyFields(StrictSerializer):
    name = serializers.CharField(max_length=80)
    symbol = serializers.CharField(max_length=32)
    exchange = serializers.ChoiceField(choices=Exchange.choices, default=Exchange.NSE)
    quantity = serializers.IntegerField(min_value=-(2**31), max_value=2**31 - 1)
    buy_time = serializers.TimeField(input_formats=["%H:%M:%S", "%H:%M"])
    sell_time = serializers.TimeField(input_formats=["%H:%M:%S", "%H:%M"])
    stop_loss = serializers.DecimalField(max_digits=12, decimal_places=2)
    product = serializers.ChoiceField(choices=Product.choices, default=Product.MIS)
    broker_account = serializers.IntegerField(min_value=1, max_value=2**62)
    days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7
    )

    def validate_symbol(self, value: str) -> str:
        return value.strip().upper()


class StrategyCreateApi(APIView):
    @extend_schema(request=StrategyFields, responses={201: StrategyOutput})
    def post(self, request: Request) -> Response:
        data = StrategyFields(data=request.data)
        data.is_valid(raise_exception=True)
        strategy = services.strategy_create(user=request.user, **data.validated_data)
        return Response(StrategyOutput(strategy).data, status=status.HTTP_201_CREATED)


class StrategyListApi(APIView):
    class Filter(StrictSerializer):
        status = serializers.ChoiceField(choices=StrategyStatus.choices, required=False)

    @extend_schema(parameters=[Filter], responses={200: StrategyOutput(many=True)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        strategies = selectors.strategy_list(user=request.user, **filters.validated_data)
        return Response(StrategyOutput(strategies, many=True).data)


class StrategyDetailApi(APIView):
    @extend_schema(responses={200: StrategyOutput})
    def get(self, request: Request, strategy_id: int) -> Response:
        return Response(StrategyOutput(selectors.strategy_get(user=request.user, strategy_id=strategy_id)).data)

    @extend_schema(request=StrategyFields(partial=True), responses={200: StrategyOutput})
    def patch(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        data = StrategyFields(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        strategy = services.strategy_update(strategy=strategy, user=request.user, **data.validated_data)
        return Response(StrategyOutput(strategy).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, strategy_id: int) -> Response:
        services.strategy_delete(strategy=selectors.strategy_get(user=request.user, strategy_id=strategy_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StrategyIdInput(StrictSerializer):
    id = serializers.IntegerField(min_value=1, max_value=2**62)


class StrategyStateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_reason = serializers.CharField()


class StrategyStartApi(APIView):
    @extend_schema(request=StrategyIdInput, responses={200: StrategyStateOutput})
    def post(self, request: Request) -> Response:
        data = StrategyIdInput(data=request.data)
        data.is_valid(raise_exception=True)
        strategy = selectors.strategy_get(user=request.user, strategy_id=data.validated_data["id"])
        return Response(StrategyStateOutput(services.strategy_start(strategy=strategy)).data)


class StrategyStopApi(APIView):
    @extend_schema(request=StrategyIdInput, responses={200: StrategyStateOutput})
    def post(self, request: Request) -> Response:
        data = StrategyIdInput(data=request.data)
        data.is_valid(raise_exception=True)
        strategy = selectors.strategy_get(user=request.user, strategy_id=data.validated_data["id"])
        return Response(StrategyStateOutput(services.strategy_stop(strategy=strategy)).data)


class StrategyStatusApi(APIView):
    class Output(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()
        status_reason = serializers.CharField()
        trading_day = serializers.DateField()
        position = serializers.CharField()
        last_action = serializers.CharField(allow_null=True)
        last_order = OrderOutput(allow_null=True)
        last_price = serializers.CharField(allow_null=True)
        next_trigger = serializers.DictField(allow_null=True)

    @extend_schema(responses={200: Output})
    def get(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        today = calendar.trading_day_of(timezone.now())
        # Position and last order come from PostgreSQL (the truth); Redis adds the live price.
        # Polled by every open client: user, strategy and the day's intents are its only queries.
        legs = selectors.strategy_day_legs(strategy=strategy, trading_day=today)
        entry, exit_ = legs.get("ENTRY"), legs.get("EXIT")
        last = exit_ or entry
        position = runtime.position_of(entry.status if entry else None, exit_.status if exit_ else None)
        live = runtime.runtime_read(strategy.pk, strategy.symbol)
        nxt = services.strategy_next_trigger(strategy, position=position)
        body = {
            "id": strategy.pk,
            "status": strategy.status,
            "status_reason": strategy.status_reason,
            "trading_day": today,
            "position": position,
            "last_action": f"{last.side} {last.status}" if last else None,
            "last_order": last,  # the intent itself: Output's nested OrderOutput serializes it (once)
            "last_price": live["last_price"],
            "next_trigger": {"leg": nxt["leg"], "at": nxt["at"].isoformat()} if nxt else None,
        }
        return Response(self.Output(body).data)


class StrategyOrdersApi(APIView):
    @extend_schema(responses={200: OrderOutput(many=True)})
    def get(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        return Response(OrderOutput(selectors.strategy_orders(strategy=strategy), many=True).data)
