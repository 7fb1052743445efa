from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import monitoring


class AdminSystemApi(APIView):
    class Output(serializers.Serializer):
        queues = serializers.DictField(child=serializers.IntegerField())
        services = serializers.DictField()
        users = serializers.DictField(child=serializers.IntegerField())
        heartbeats = serializers.ListField(child=serializers.DictField(), required=False)
        ticks_per_second = serializers.FloatField(allow_null=True, required=False)
        latency_ms = serializers.DictField(child=serializers.DictField(), required=False)
        orders = serializers.DictField(child=serializers.DictField(), required=False)
        recent_errors = serializers.ListField(child=serializers.DictField(), required=False)
        strategies = serializers.DictField(child=serializers.IntegerField(), required=False)
        kill_switches = serializers.DictField(child=serializers.CharField(), required=False)
        error = serializers.CharField(required=False)

    @extend_schema(responses={200: Output})
    def get(self, request: Request) -> Response:
        return Response(self.Output(monitoring.system_snapshot()).data)
