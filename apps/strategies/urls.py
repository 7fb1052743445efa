from django.urls import path

from . import apis

urlpatterns = [
    path("create", apis.StrategyCreateApi.as_view(), name="strategy-create"),
    path("list", apis.StrategyListApi.as_view(), name="strategy-list"),
    path("start", apis.StrategyStartApi.as_view(), name="strategy-start"),
    path("stop", apis.StrategyStopApi.as_view(), name="strategy-stop"),
    path("status/<int:strategy_id>", apis.StrategyStatusApi.as_view(), name="strategy-status"),
    path("<int:strategy_id>", apis.StrategyDetailApi.as_view(), name="strategy-detail"),
    path("<int:strategy_id>/orders", apis.StrategyOrdersApi.as_view(), name="strategy-orders"),
]
