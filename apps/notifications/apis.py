from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.paging import PageInput, page_body, paginate, split_page
from apps.core.serializers import StrictSerializer

from . import selectors, services
from .models import NotificationKind


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationPage(serializers.Serializer):
    count = serializers.IntegerField()
    unread = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = NotificationOutput(many=True)


class NotificationsApi(APIView):
    class Filter(PageInput):
        unread = serializers.BooleanField(required=False, allow_null=True, default=None)
        kind = serializers.ChoiceField(choices=NotificationKind.choices, required=False)

    @extend_schema(parameters=[Filter], responses={200: NotificationPage})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        count, rows = paginate(selectors.notification_list(user=request.user, **f), page=page, page_size=size)
        body = page_body(count=count, page=page, page_size=size, results=NotificationOutput(rows, many=True).data)
        return Response({"unread": selectors.unread_count(user=request.user), **body})


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses={200: NotificationOutput})
    def post(self, request: Request, notification_id: int) -> Response:
        note = selectors.notification_get(user=request.user, notification_id=notification_id)
        return Response(NotificationOutput(services.notification_mark_read(user=request.user, notification=note)).data)


class NotificationsReadAllApi(APIView):
    class Output(serializers.Serializer):
        marked = serializers.IntegerField()

    @extend_schema(request=None, responses={200: Output})
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})


class NotificationSettingsOutput(serializers.Serializer):
    email_enabled = serializers.BooleanField()
    telegram_enabled = serializers.BooleanField()
    telegram_chat_id = serializers.CharField()
    telegram_bot_token_set = serializers.SerializerMethodField()
    muted_kinds = serializers.ListField(child=serializers.CharField())

    def get_telegram_bot_token_set(self, obj: object) -> bool:
        return bool(getattr(obj, "telegram_bot_token", ""))


class NotificationSettingsApi(APIView):
    class Input(StrictSerializer):
        email_enabled = serializers.BooleanField(required=False)
        telegram_enabled = serializers.BooleanField(required=False)
        telegram_chat_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
        telegram_bot_token = serializers.CharField(
            max_length=128, required=False, allow_blank=True, write_only=True,
            help_text="Stored encrypted, never returned; empty removes it.",
        )
        muted_kinds = serializers.ListField(
            child=serializers.ChoiceField(choices=NotificationKind.choices), required=False, max_length=10
        )

    @extend_schema(responses={200: NotificationSettingsOutput})
    def get(self, request: Request) -> Response:
        return Response(NotificationSettingsOutput(selectors.notification_settings_of(user=request.user)).data)

    @extend_schema(request=Input, responses={200: NotificationSettingsOutput})
    def patch(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        prefs = services.notification_settings_update(user=request.user, **data.validated_data)
        return Response(NotificationSettingsOutput(prefs).data)
