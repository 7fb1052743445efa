"""Broker-staff routes of operations, mounted under /api/broker/ beside apps.broker_accounts.urls."""

from django.urls import path

from . import apis

urlpatterns = [
    path("kill", apis.BrokerKillApi.as_view(), name="broker-kill"),
    path("kill/<int:switch_id>/release", apis.BrokerKillReleaseApi.as_view(), name="broker-kill-release"),
    path("static-ips", apis.BrokerStaticIpsApi.as_view(), name="broker-static-ips"),
]
