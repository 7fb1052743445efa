from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.serializers import StrictSerializer

from . import selectors, services
from .models import Role


def client_ip(request: Request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.CharField()


def _tokens_out(pair: services.TokenPair) -> dict[str, Any]:
    return {"access": pair.access, "refresh": pair.refresh, "user": UserOutput(pair.user).data}


class TokensOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserOutput()


class RegisterApi(APIView):
    authentication_classes: list = []

    class Input(StrictSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=Input, responses={201: UserOutput})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    authentication_classes: list = []

    class Input(StrictSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        totp = serializers.CharField(
            max_length=10, required=False, allow_blank=True,
            help_text="Authenticator code (6 digits); required for accounts with two-factor sign-in on.",
        )

    @extend_schema(request=Input, responses={200: TokensOutput})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.user_login(**data.validated_data, ip=client_ip(request))
        return Response(_tokens_out(pair))


class RefreshApi(APIView):
    authentication_classes: list = []

    class Input(StrictSerializer):
        refresh = serializers.CharField(max_length=2048)

    class Output(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(request=Input, responses={200: Output})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.token_refresh(refresh=data.validated_data["refresh"])
        return Response({"access": pair.access, "refresh": pair.refresh})


class LogoutApi(APIView):
    authentication_classes: list = []

    class Input(StrictSerializer):
        refresh = serializers.CharField(max_length=2048)

    @extend_schema(request=Input, responses={204: None})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        header = request.headers.get("Authorization", "")
        access = header.split(" ", 1)[1] if header.startswith("Bearer ") else None
        services.user_logout(refresh=data.validated_data["refresh"], access=access)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    class Output(UserOutput):
        broker = serializers.CharField()
        date_joined = serializers.DateTimeField()

    @extend_schema(responses={200: Output})
    def get(self, request: Request) -> Response:
        return Response(self.Output(request.user).data)


# --- administration (admins only, by policy) ---------------------------------------------


class AdminUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.CharField()
    broker = serializers.CharField()
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    suspended_at = serializers.DateTimeField(allow_null=True)
    suspended_reason = serializers.CharField()


class AdminUsersApi(APIView):
    class Filter(StrictSerializer):
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        active = serializers.BooleanField(required=False, allow_null=True, default=None)
        include_deleted = serializers.BooleanField(required=False, default=False)
        email = serializers.CharField(max_length=254, required=False, help_text="Part of the email.")

    class Input(StrictSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        role = serializers.ChoiceField(choices=Role.choices)
        broker = serializers.CharField(max_length=32, required=False, default="")

    @extend_schema(parameters=[Filter], responses={200: AdminUserOutput(many=True)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        users = selectors.user_list(**filters.validated_data)
        return Response(AdminUserOutput(users, many=True).data)

    @extend_schema(request=Input, responses={201: AdminUserOutput})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(actor=request.user, ip=client_ip(request), **data.validated_data)
        return Response(AdminUserOutput(user).data, status=status.HTTP_201_CREATED)


class AdminUserDetailApi(APIView):
    class Input(StrictSerializer):
        email = serializers.EmailField(max_length=254, required=False)
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        broker = serializers.CharField(max_length=32, required=False, allow_blank=True)

    @extend_schema(responses={200: AdminUserOutput})
    def get(self, request: Request, user_id: int) -> Response:
        return Response(AdminUserOutput(selectors.user_get(user_id=user_id)).data)

    @extend_schema(request=Input, responses={200: AdminUserOutput})
    def patch(self, request: Request, user_id: int) -> Response:
        user = selectors.user_get(user_id=user_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update(actor=request.user, user=user, ip=client_ip(request), **data.validated_data)
        return Response(AdminUserOutput(user).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, user_id: int) -> Response:
        """Soft delete: deactivated, anonymised, strategies stopped; orders and audit kept."""
        services.user_delete(actor=request.user, user=selectors.user_get(user_id=user_id), ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminUserSuspendApi(APIView):
    class Input(StrictSerializer):
        reason = serializers.CharField(max_length=200, required=False, default="")

    @extend_schema(request=Input, responses={200: AdminUserOutput})
    def post(self, request: Request, user_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_suspend(
            actor=request.user, user=selectors.user_get(user_id=user_id), ip=client_ip(request), **data.validated_data
        )
        return Response(AdminUserOutput(user).data)


class AdminUserActivateApi(APIView):
    @extend_schema(request=None, responses={200: AdminUserOutput})
    def post(self, request: Request, user_id: int) -> Response:
        user = services.user_activate(
            actor=request.user, user=selectors.user_get(user_id=user_id), ip=client_ip(request)
        )
        return Response(AdminUserOutput(user).data)


# --- TOTP second factor (admins and broker staff) -------------------------------------------


class TotpStatusApi(APIView):
    class Output(serializers.Serializer):
        enabled = serializers.BooleanField()
        pending = serializers.BooleanField(help_text="Enrolment started, not confirmed yet.")
        available = serializers.BooleanField(help_text="This account's role may use two-factor sign-in.")

    @extend_schema(responses={200: Output})
    def get(self, request: Request) -> Response:
        from .models import TotpDevice
        from .totp import TOTP_ROLES

        device = TotpDevice.objects.filter(user=request.user).first()
        return Response(self.Output({
            "enabled": device is not None and device.confirmed_at is not None,
            "pending": device is not None and device.confirmed_at is None,
            "available": request.user.role in TOTP_ROLES,
        }).data)


class TotpSetupApi(APIView):
    class Output(serializers.Serializer):
        secret = serializers.CharField(help_text="Base32 secret, shown once.")
        otpauth_uri = serializers.CharField(help_text="otpauth:// URI for a QR code.")

    @extend_schema(request=None, responses={201: Output})
    def post(self, request: Request) -> Response:
        from .totp import totp_setup

        setup = totp_setup(user=request.user)
        return Response(self.Output({"secret": setup.secret, "otpauth_uri": setup.uri}).data,
                        status=status.HTTP_201_CREATED)


class TotpCodeInput(StrictSerializer):
    code = serializers.CharField(max_length=10)


class TotpConfirmApi(APIView):
    class Output(serializers.Serializer):
        enabled = serializers.BooleanField()

    @extend_schema(request=TotpCodeInput, responses={200: Output})
    def post(self, request: Request) -> Response:
        from .totp import totp_confirm

        data = TotpCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        totp_confirm(user=request.user, code=data.validated_data["code"])
        return Response({"enabled": True})


class TotpDisableApi(APIView):
    @extend_schema(request=TotpCodeInput, responses={204: None})
    def post(self, request: Request) -> Response:
        from .totp import totp_disable

        data = TotpCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        totp_disable(user=request.user, code=data.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)
