from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.serializers import StrictSerializer
from brokers.registry import ADAPTERS, BROKER_CHOICES

from . import selectors, services, stats


class BrokerAccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    broker = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    token_valid_until = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class BrokerListApi(APIView):
    """Which brokers this deployment offers and what each needs to connect."""

    class Output(serializers.Serializer):
        name = serializers.CharField()
        display_name = serializers.CharField()
        available = serializers.BooleanField()
        credential_fields = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses={200: Output(many=True)})
    def get(self, request: Request) -> Response:
        rows = []
        for name, display in BROKER_CHOICES:
            cls = ADAPTERS.get(name)
            fields = [
                {"name": f.name, "label": f.label, "required": f.required, "secret": f.secret}
                for f in (cls.credential_fields if cls else ())
            ]
            rows.append({"name": name, "display_name": display, "available": cls is not None, "credential_fields": fields})
        return Response(rows)


class BrokerConnectApi(APIView):
    class Input(StrictSerializer):
        broker = serializers.CharField(max_length=32)
        credentials = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=512), default=dict)
        label = serializers.CharField(max_length=80, required=False, allow_blank=True)

    @extend_schema(request=Input, responses={201: BrokerAccountOutput})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.broker_account_connect(user=request.user, **data.validated_data)
        return Response(BrokerAccountOutput(account).data, status=status.HTTP_201_CREATED)


class BrokerAccountsApi(APIView):
    @extend_schema(responses={200: BrokerAccountOutput(many=True)})
    def get(self, request: Request) -> Response:
        return Response(BrokerAccountOutput(selectors.broker_account_list(user=request.user), many=True).data)


class BrokerAccountDetailApi(APIView):
    @extend_schema(responses={200: BrokerAccountOutput})
    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.broker_account_get(user=request.user, account_id=account_id)
        return Response(BrokerAccountOutput(account).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, account_id: int) -> Response:
        account = selectors.broker_account_get(user=request.user, account_id=account_id)
        services.broker_account_delete(account=account)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StatsOrdersOutput(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    filled_quantity = serializers.IntegerField()
    turnover = serializers.CharField()
    success_rate = serializers.FloatField(allow_null=True)
    reject_rate = serializers.FloatField(allow_null=True)


class StatsHealthOutput(serializers.Serializer):
    orders_last_hour = serializers.IntegerField()
    unknown_or_failed_share = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=["idle", "ok", "degraded"])


class StatsClientAccountOutput(serializers.Serializer):
    broker_account = serializers.IntegerField()
    label = serializers.CharField()
    primary_ip = serializers.CharField(allow_null=True)
    secondary_ip = serializers.CharField(allow_null=True)


class StatsClientOutput(serializers.Serializer):
    user = serializers.IntegerField()
    email = serializers.CharField()
    peak_orders_per_second = serializers.IntegerField(help_text="Busiest second in the last minute.")
    accounts = StatsClientAccountOutput(many=True)


class BrokerStatsApi(APIView):
    """Flow through one broker: broker staff see their own broker only; admins pick any."""

    class Filter(StrictSerializer):
        broker = serializers.ChoiceField(choices=BROKER_CHOICES, required=False)

    class Output(serializers.Serializer):
        broker = serializers.CharField()
        accounts = serializers.IntegerField()
        active_accounts = serializers.IntegerField()
        clients = serializers.IntegerField()
        strategies = serializers.IntegerField()
        running_strategies = serializers.IntegerField()
        orders_24h = StatsOrdersOutput()
        api_health = StatsHealthOutput()
        peak_orders_per_second = serializers.IntegerField(help_text="Busiest second of any client in the last minute.")
        client_list = StatsClientOutput(many=True)

    @extend_schema(parameters=[Filter], responses={200: Output(many=True)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        rows = stats.broker_stats(user=request.user, broker=filters.validated_data.get("broker"))
        return Response(self.Output(rows, many=True).data)
