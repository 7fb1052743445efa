"""Traders' compliance routes (/api/compliance/): the static IPs of their broker accounts."""

from django.urls import path

from . import apis

urlpatterns = [
    path("static-ips", apis.StaticIpsApi.as_view(), name="compliance-static-ips"),
    path("static-ips/<int:account_id>", apis.StaticIpDetailApi.as_view(), name="compliance-static-ip"),
]
