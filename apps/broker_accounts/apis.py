from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.serializers import StrictSerializer
from brokers.registry import ADAPTERS, BROKER_CHOICES

from . import readiness, selectors, services, stats
from .models import BrokerAccount, BrokerAccountStatus


class BrokerAccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    broker = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    token_valid_until = serializers.SerializerMethodField(
        help_text="When the broker session ends (IST 06:00 the next day for Kite). Null while the account "
        "needs a login, and for brokers whose sessions renew themselves (paper, Angel One)."
    )
    token_valid = serializers.SerializerMethodField(help_text="Active and the session not past its end.")
    login_method = serializers.SerializerMethodField(
        help_text="redirect (POST login/start, open login_url), totp (automatic), token (send a new access "
        "token to credentials), none"
    )
    created_at = serializers.DateTimeField()

    def get_token_valid_until(self, account: BrokerAccount) -> str | None:
        if account.status != BrokerAccountStatus.ACTIVE or account.broker in services.SELF_RENEWING:
            return None  # a session the broker already refused has no validity left
        value = account.token_valid_until
        return serializers.DateTimeField().to_representation(value) if value is not None else None

    def get_token_valid(self, account: BrokerAccount) -> bool:
        return services.token_valid(account)

    def get_login_method(self, account: BrokerAccount) -> str:
        return services.LOGIN_METHODS.get(account.broker, "none")


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


def _callback_url(request: Request) -> str:
    return settings.BROKER_LOGIN_CALLBACK_URL or request.build_absolute_uri(reverse("broker-login-callback"))


class BrokerAccountLoginStartApi(APIView):
    """Start today's broker login. Zerodha and Fyers: open `login_url`; the broker sends the user
    back to /api/broker/login/callback. Angel One (PIN + TOTP), Dhan (portal token) and paper:
    the stored credentials are validated again at once and `login_url` is null."""

    class Input(StrictSerializer):
        pass

    class Output(serializers.Serializer):
        broker_account = BrokerAccountOutput()
        method = serializers.CharField()
        login_url = serializers.CharField(allow_null=True)
        message = serializers.CharField()

    @extend_schema(request=Input, responses={200: Output})
    def post(self, request: Request, account_id: int) -> Response:
        self.Input(data=request.data).is_valid(raise_exception=True)
        account = selectors.broker_account_get(user=request.user, account_id=account_id)
        started = services.broker_account_login_start(account=account, callback_url=_callback_url(request))
        return Response(self.Output({"broker_account": started.account, "method": started.method,
                                     "login_url": started.login_url, "message": started.message}).data)


class BrokerLoginCallbackApi(APIView):
    """Where Kite (request_token) and Fyers (auth_code) send the user back after logging in. The
    signed, single-use `state` names the account; no session of ours is needed (it is a browser
    redirect), but a signed-in caller must own the account."""

    class Input(StrictSerializer):
        state = serializers.CharField(max_length=1000)
        request_token = serializers.CharField(max_length=200, required=False, allow_blank=True)
        auth_code = serializers.CharField(max_length=4000, required=False, allow_blank=True)
        # What the brokers add to the redirect besides the code (Kite: action, type, status;
        # Fyers: s, code): accepted, not needed.
        status = serializers.CharField(max_length=50, required=False, allow_blank=True)
        action = serializers.CharField(max_length=50, required=False, allow_blank=True)
        type = serializers.CharField(max_length=50, required=False, allow_blank=True)
        s = serializers.CharField(max_length=50, required=False, allow_blank=True)
        code = serializers.CharField(max_length=50, required=False, allow_blank=True)

    @extend_schema(parameters=[Input], responses={200: BrokerAccountOutput})
    def get(self, request: Request) -> Response:
        return self._complete(request, request.query_params.dict())

    @extend_schema(request=Input, responses={200: BrokerAccountOutput})
    def post(self, request: Request) -> Response:
        return self._complete(request, request.data)

    def _complete(self, request: Request, payload: object) -> Response:
        data = self.Input(data=payload)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = services.broker_login_complete(
            state=values["state"],
            request_token=values.get("request_token") or None,
            auth_code=values.get("auth_code") or None,
            acting_user=request.user,
        )
        return Response(BrokerAccountOutput(account).data)


class BrokerAccountCredentialsApi(APIView):
    """Replace some stored credentials (Dhan's new daily token, a rotated Kite API secret), checked
    with the broker like a connect. Answers the account, never the credentials."""

    class Input(StrictSerializer):
        credentials = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=512))

    @extend_schema(request=Input, responses={200: BrokerAccountOutput})
    def post(self, request: Request, account_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        account = selectors.broker_account_get(user=request.user, account_id=account_id)
        account = services.broker_account_credentials_update(account=account, **data.validated_data)
        return Response(BrokerAccountOutput(account).data)


class BrokerReadinessApi(APIView):
    """What would fail today for the caller's running strategies (the pre-market check)."""

    class Problem(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()
        broker_account = serializers.IntegerField(allow_null=True)
        strategy = serializers.IntegerField(allow_null=True)
        login_url = serializers.CharField(allow_null=True)

    class Output(serializers.Serializer):
        ready = serializers.BooleanField()
        problems = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses={200: Output})
    def get(self, request: Request) -> Response:
        problems = readiness.readiness_report(user=request.user)
        rows = self.Problem([p.as_dict() for p in problems], many=True).data
        return Response({"ready": not problems, "problems": rows})
