from django.urls import path

from . import apis

urlpatterns = [
    path("backtests", apis.BacktestsApi.as_view(), name="playground-backtests"),
    path("runs", apis.BacktestRunsApi.as_view(), name="playground-runs"),
    path("runs/<int:run_id>", apis.BacktestRunApi.as_view(), name="playground-run"),
    path("samples", apis.SamplesApi.as_view(), name="playground-samples"),
]
