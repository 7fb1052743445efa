from django.urls import path

from . import apis

urlpatterns = [
    path("brokers", apis.BrokerListApi.as_view(), name="broker-list"),
    path("connect", apis.BrokerConnectApi.as_view(), name="broker-connect"),
    path("accounts", apis.BrokerAccountsApi.as_view(), name="broker-accounts"),
    path("accounts/<int:account_id>", apis.BrokerAccountDetailApi.as_view(), name="broker-account-detail"),
    path("stats", apis.BrokerStatsApi.as_view(), name="broker-stats"),
    path(
        "accounts/<int:account_id>/login/start", apis.BrokerAccountLoginStartApi.as_view(), name="broker-account-login-start"
    ),
    path(
        "accounts/<int:account_id>/credentials", apis.BrokerAccountCredentialsApi.as_view(), name="broker-account-credentials"
    ),
    path("login/callback", apis.BrokerLoginCallbackApi.as_view(), name="broker-login-callback"),
    path("readiness", apis.BrokerReadinessApi.as_view(), name="broker-readiness"),
]
