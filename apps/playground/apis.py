from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ApplicationError
from apps.core.paging import PageInput, page_body, paged, paginate, split_page
from apps.core.serializers import StrictSerializer

from . import bars, selectors, services
from .models import BacktestSource, BacktestStatus

TIME_FORMATS = ["%H:%M:%S", "%H:%M"]


class BacktestRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    source = serializers.CharField()
    params = serializers.JSONField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class BacktestRunDetailOutput(BacktestRunOutput):
    result = serializers.JSONField(allow_null=True)


class BacktestsApi(APIView):
    """Queue a backtest. JSON, or multipart with the CSV as `file`; answers 202 with the run,
    whose progress and result GET /api/playground/runs/{id} shows."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class Input(StrictSerializer):
        source = serializers.ChoiceField(choices=BacktestSource.choices)
        strategy = serializers.IntegerField(min_value=1, required=False, help_text="Take the rules of this strategy.")
        symbol = serializers.CharField(max_length=32, required=False)
        start = serializers.DateField(required=False)
        end = serializers.DateField(required=False)
        buy_time = serializers.TimeField(input_formats=TIME_FORMATS, required=False)
        sell_time = serializers.TimeField(input_formats=TIME_FORMATS, required=False)
        stop_loss = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
        quantity = serializers.IntegerField(min_value=1, max_value=10_000_000, required=False)
        days = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7)
        csv = serializers.CharField(required=False, trim_whitespace=False, help_text="timestamp,open,high,low,close[,volume]")
        file = serializers.FileField(required=False)
        seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
        start_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
        volatility = serializers.FloatField(
            min_value=0.001, max_value=5, required=False, help_text="Std dev of a minute's return, percent."
        )

    @extend_schema(request=Input, responses={202: BacktestRunOutput})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        upload = values.pop("file", None)
        if upload is not None:
            if "csv" in values:
                raise ApplicationError.field("file", "Send the bars as `csv` or as `file`, not both.")
            try:
                values["csv"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ApplicationError.field("file", "The CSV must be UTF-8 text.") from exc
        run = services.backtest_submit(user=request.user, **values)
        return Response(BacktestRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class BacktestRunsApi(APIView):
    class Filter(PageInput):
        status = serializers.ChoiceField(choices=BacktestStatus.choices, required=False)

    @extend_schema(operation_id="playground_runs_list", parameters=[Filter], responses={200: paged(BacktestRunOutput)})
    def get(self, request: Request) -> Response:
        filters = self.Filter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, page, size = split_page(filters.validated_data)
        count, rows = paginate(selectors.backtest_list(user=request.user, **f), page=page, page_size=size)
        return Response(
            page_body(count=count, page=page, page_size=size, results=BacktestRunOutput(rows, many=True).data)
        )


class BacktestRunApi(APIView):
    @extend_schema(responses={200: BacktestRunDetailOutput})
    def get(self, request: Request, run_id: int) -> Response:
        return Response(BacktestRunDetailOutput(selectors.backtest_get(user=request.user, run_id=run_id)).data)


class SamplesApi(APIView):
    """The bundled sample data: symbols and the days each covers."""

    class Output(serializers.Serializer):
        symbol = serializers.CharField()
        first_day = serializers.DateField()
        last_day = serializers.DateField()

    @extend_schema(responses={200: Output(many=True)})
    def get(self, request: Request) -> Response:
        rows = [{"symbol": s, "first_day": a, "last_day": b} for s, (a, b) in sorted(bars.sample_symbols().items())]
        return Response(self.Output(rows, many=True).data)
