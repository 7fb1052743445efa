from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.apis import client_ip
from apps.accounts.models import Role
from apps.accounts.selectors import user_get
from apps.core.errors import ApplicationError
from apps.core.paging import PageInput, page_body, paged, paginate, split_page
from apps.core.serializers import StrictSerializer
from apps.orders.models import IntentStatus, Leg, Reason
from apps.strategies.apis import OrderOutput
from apps.strategies.models import StrategyStatus
from brokers.registry import BROKER_CHOICES

from . import selectors, services
from .models import KillScope


def _page(serializer: type[serializers.Serializer], qs: Any, page: int, page_size: int) -> dict[str, Any]:
    count, rows = paginate(qs, page=page, page_size=page_size)
    return page_body(count=count, page=page, page_size=page_size, results=serializer(rows, many=True).data)


def _email(user: Any) -> str | None:
    return user.email if user is not None else None


# --- kill switches ---------------------------------------------------------------------------------


class KillSwitchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    scope = serializers.CharField()
    target = serializers.CharField()
    field = serializers.CharField()
    active = serializers.BooleanField()
    reason = serializers.CharField()
    square_off = serializers.BooleanField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    released_by = serializers.SerializerMethodField()
    released_at = serializers.DateTimeField(allow_null=True)
    release_reason = serializers.CharField()

    def get_created_by(self, obj: Any) -> str | None:
        return _email(obj.created_by)

    def get_released_by(self, obj: Any) -> str | None:
        return _email(obj.released_by)


class KillEngageOutput(serializers.Serializer):
    switch = KillSwitchOutput()
    created = serializers.BooleanField()
    published = serializers.BooleanField(help_text="False: saved, reaches Redis within seconds (beat republishes).")
    stopped = serializers.IntegerField(help_text="Strategies stopped now.")
    squared_off = serializers.IntegerField(help_text="EXIT intents (reason KILL) queued.")
    deferred = serializers.BooleanField(help_text="True: the strategies are being stopped by a task.")


def _engage_response(result: services.KillResult) -> Response:
    body = KillEngageOutput(result).data
    return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class KillListFilter(PageInput):
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    scope = serializers.ChoiceField(choices=KillScope.choices, required=False)


class ReleaseInput(StrictSerializer):
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class AdminKillSwitchesApi(APIView):
    class Input(StrictSerializer):
        scope = serializers.ChoiceField(choices=KillScope.choices)
        target = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
        reason = serializers.CharField(max_length=300)
        square_off = serializers.BooleanField(default=False)

    @extend_schema(parameters=[KillListFilter], responses={200: paged(KillSwitchOutput)})
    def get(self, request: Request) -> Response:
        filters = KillListFilter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        return Response(_page(KillSwitchOutput, selectors.kill_switch_list(user=request.user, **f), page, size))

    @extend_schema(request=Input, responses={201: KillEngageOutput, 200: KillEngageOutput})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.kill_switch_engage(actor=request.user, ip=client_ip(request), **data.validated_data)
        return _engage_response(result)


class AdminKillSwitchReleaseApi(APIView):
    @extend_schema(request=ReleaseInput, responses={200: KillSwitchOutput})
    def post(self, request: Request, switch_id: int) -> Response:
        switch = selectors.kill_switch_get(user=request.user, switch_id=switch_id)
        data = ReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        switch = services.kill_switch_release(actor=request.user, switch=switch, ip=client_ip(request), **data.validated_data)
        return Response(KillSwitchOutput(switch).data)


class BrokerKillApi(APIView):
    """Broker staff halt (or list halts of) their own broker's flow; admins name the broker."""

    class Input(StrictSerializer):
        reason = serializers.CharField(max_length=300)
        square_off = serializers.BooleanField(default=False)
        broker = serializers.ChoiceField(choices=BROKER_CHOICES, required=False)

    @extend_schema(parameters=[KillListFilter], responses={200: paged(KillSwitchOutput)})
    def get(self, request: Request) -> Response:
        filters = KillListFilter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        f["scope"] = KillScope.BROKER
        return Response(_page(KillSwitchOutput, selectors.kill_switch_list(user=request.user, **f), page, size))

    @extend_schema(request=Input, responses={201: KillEngageOutput, 200: KillEngageOutput})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        broker = values.pop("broker", None)
        if request.user.role == Role.ADMIN and broker is None:
            raise ApplicationError.field("broker", "Name the broker whose flow to halt.")
        result = services.kill_switch_engage(
            actor=request.user,
            scope=KillScope.BROKER,
            target=broker if broker is not None else request.user.broker,
            ip=client_ip(request),
            **values,
        )
        return _engage_response(result)


class BrokerKillReleaseApi(AdminKillSwitchReleaseApi):
    """Same as the admin release; broker staff reach only their own broker's switches (404)."""


# --- strategies ---------------------------------------------------------------------------------------


class LastOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    leg = serializers.CharField()
    side = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.CharField()
    last_error = serializers.CharField()
    updated_at = serializers.DateTimeField()


class AdminStrategyOutput(serializers.Serializer):
    id = serializers.IntegerField(source="strategy.id")
    user = serializers.IntegerField(source="strategy.user_id")
    user_email = serializers.CharField()
    broker = serializers.CharField()
    broker_account = serializers.IntegerField(source="strategy.broker_account_id")
    name = serializers.CharField(source="strategy.name")
    symbol = serializers.CharField(source="strategy.symbol")
    exchange = serializers.CharField(source="strategy.exchange")
    quantity = serializers.IntegerField(source="strategy.quantity")
    buy_time = serializers.TimeField(source="strategy.buy_time", format="%H:%M:%S")
    sell_time = serializers.TimeField(source="strategy.sell_time", format="%H:%M:%S")
    stop_loss = serializers.DecimalField(source="strategy.stop_loss", max_digits=12, decimal_places=2)
    status = serializers.CharField(source="strategy.status")
    status_reason = serializers.CharField(source="strategy.status_reason")
    trading_day = serializers.DateField()
    position = serializers.CharField()
    last_order = LastOrderOutput(allow_null=True)
    halted_by = serializers.CharField(allow_null=True)


class AdminStrategiesApi(APIView):
    class Filter(PageInput):
        user = serializers.IntegerField(min_value=1, required=False)
        status = serializers.ChoiceField(choices=StrategyStatus.choices, required=False)
        broker = serializers.ChoiceField(choices=BROKER_CHOICES, required=False)
        symbol = serializers.CharField(max_length=32, required=False)

    @extend_schema(parameters=[Filter], responses={200: paged(AdminStrategyOutput)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        count, rows = paginate(selectors.admin_strategy_list(**f), page=page, page_size=size)
        results = AdminStrategyOutput(selectors.strategies_execution(rows), many=True).data
        return Response(page_body(count=count, page=page, page_size=size, results=results))


class StopInput(StrictSerializer):
    reason = serializers.CharField(max_length=250, required=False, default="", allow_blank=True)


class AdminStrategyStopApi(APIView):
    class Output(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()
        status_reason = serializers.CharField()

    @extend_schema(request=StopInput, responses={200: Output})
    def post(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.admin_strategy_get(strategy_id=strategy_id)
        data = StopInput(data=request.data)
        data.is_valid(raise_exception=True)
        strategy = services.strategy_force_stop(
            actor=request.user, strategy=strategy, ip=client_ip(request), **data.validated_data
        )
        return Response(self.Output(strategy).data)


class AdminUserStopStrategiesApi(APIView):
    class Output(serializers.Serializer):
        stopped = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(request=StopInput, responses={200: Output})
    def post(self, request: Request, user_id: int) -> Response:
        user = user_get(user_id=user_id)
        data = StopInput(data=request.data)
        data.is_valid(raise_exception=True)
        ids = services.user_strategies_stop(actor=request.user, user=user, ip=client_ip(request), **data.validated_data)
        return Response({"stopped": ids})


# --- execution logs ----------------------------------------------------------------------------------


class AdminOrderOutput(OrderOutput):
    strategy = serializers.IntegerField(source="strategy_id")
    user = serializers.IntegerField(source="user_id")
    broker_account = serializers.IntegerField(source="broker_account_id")
    symbol = serializers.CharField()
    exchange = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class OrderEventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    status = serializers.CharField()
    attempt = serializers.IntegerField()
    detail = serializers.JSONField()


class AdminOrdersApi(APIView):
    class Filter(PageInput):
        user = serializers.IntegerField(min_value=1, required=False)
        strategy = serializers.IntegerField(min_value=1, required=False)
        status = serializers.ChoiceField(choices=IntentStatus.choices, required=False)
        leg = serializers.ChoiceField(choices=Leg.choices, required=False)
        reason = serializers.ChoiceField(choices=Reason.choices, required=False)
        broker = serializers.ChoiceField(choices=BROKER_CHOICES, required=False)
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": ["Must be after since."]})
            return attrs

    @extend_schema(operation_id="admin_orders_list", parameters=[Filter], responses={200: paged(AdminOrderOutput)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        return Response(_page(AdminOrderOutput, selectors.order_intent_list(**f), page, size))


class AdminOrderDetailApi(APIView):
    class Output(AdminOrderOutput):
        events = OrderEventOutput(many=True)

    @extend_schema(responses={200: Output})
    def get(self, request: Request, intent_id: int) -> Response:
        intent, events = selectors.order_intent_get(intent_id=intent_id)
        body = AdminOrderOutput(intent).data | {"events": OrderEventOutput(events, many=True).data}
        return Response(body)


# --- settings and audit --------------------------------------------------------------------------------


class SettingOutput(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    default = serializers.JSONField(allow_null=True)
    description = serializers.CharField()
    is_default = serializers.BooleanField()
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class AdminSettingsApi(APIView):
    class Input(StrictSerializer):
        values = serializers.DictField(
            child=serializers.JSONField(allow_null=True), allow_empty=False,
            help_text="{key: value}; null resets a key to its default.",
        )

    @extend_schema(responses={200: SettingOutput(many=True)})
    def get(self, request: Request) -> Response:
        return Response(SettingOutput(selectors.settings_list(), many=True).data)

    @extend_schema(request=Input, responses={200: SettingOutput(many=True)})
    def patch(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.settings_update(actor=request.user, values=data.validated_data["values"], ip=client_ip(request))
        return Response(SettingOutput(selectors.settings_list(), many=True).data)


class AuditOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    actor_email = serializers.CharField()
    actor_role = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    detail = serializers.JSONField()
    ip = serializers.CharField()


class AdminAuditApi(APIView):
    class Filter(PageInput):
        actor = serializers.IntegerField(min_value=1, required=False)
        action = serializers.CharField(max_length=64, required=False, help_text="Prefix, e.g. `kill.`")
        target_type = serializers.CharField(max_length=32, required=False)
        target_id = serializers.CharField(max_length=64, required=False)
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)

    @extend_schema(parameters=[Filter], responses={200: paged(AuditOutput)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        return Response(_page(AuditOutput, selectors.audit_list(**f), page, size))


# --- static IPs ------------------------------------------------------------------------------------------


class StaticIpOutput(serializers.Serializer):
    broker_account = serializers.IntegerField()
    broker = serializers.CharField()
    label = serializers.CharField()
    primary = serializers.CharField(allow_null=True)
    secondary = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class BrokerStaticIpOutput(StaticIpOutput):
    user = serializers.IntegerField()
    email = serializers.CharField()


class StaticIpsApi(APIView):
    """The caller's broker accounts and the static IPs registered for each."""

    @extend_schema(responses={200: StaticIpOutput(many=True)})
    def get(self, request: Request) -> Response:
        return Response(StaticIpOutput(selectors.static_ips_of_user(user=request.user), many=True).data)


class StaticIpDetailApi(APIView):
    class Input(StrictSerializer):
        primary = serializers.CharField(max_length=64)
        secondary = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True, default=None)

    @extend_schema(request=Input, responses={200: StaticIpOutput})
    def put(self, request: Request, account_id: int) -> Response:
        account = selectors.own_broker_account(user=request.user, account_id=account_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.static_ip_set(user=request.user, account=account, ip=client_ip(request), **data.validated_data)
        rows = {r["broker_account"]: r for r in selectors.static_ips_of_user(user=request.user)}
        return Response(StaticIpOutput(rows[account.pk]).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, account_id: int) -> Response:
        account = selectors.own_broker_account(user=request.user, account_id=account_id)
        services.static_ip_remove(user=request.user, account=account, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BrokerStaticIpsApi(APIView):
    """Registered static IPs of the broker's clients (broker staff: own broker; admins pick)."""

    class Filter(StrictSerializer):
        broker = serializers.ChoiceField(choices=BROKER_CHOICES, required=False)

    @extend_schema(parameters=[Filter], responses={200: BrokerStaticIpOutput(many=True)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        if request.user.role == Role.ADMIN:
            broker = filters.validated_data.get("broker")
            if broker is None:
                raise ApplicationError.field("broker", "Name the broker.")
        else:
            broker = request.user.broker  # staff see their own broker, whatever they ask for
        return Response(BrokerStaticIpOutput(selectors.static_ips_of_broker(broker=broker), many=True).data)
