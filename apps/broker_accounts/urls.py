from django.urls import path

from . import apis

urlpatterns = [
    path("brokers", apis.BrokerListApi.as_view(), name="broker-list"),
    path("connect", apis.BrokerConnectApi.as_view(), name="broker-connect"),
    path("accounts", apis.BrokerAccountsApi.as_view(), name="broker-accounts"),
    path("accounts/<int:account_id>", apis.BrokerAccountDetailApi.as_view(), name="broker-account-detail"),
    path("stats", apis.BrokerStatsApi.as_view(), name="broker-stats"),
]
