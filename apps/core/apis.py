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

    @extend_schema(responses={200: Output})
    def get(self, request: Request) -> Response:
        return Response(monitoring.system_snapshot())
