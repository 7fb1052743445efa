from django.urls import path

from . import apis

urlpatterns = [
    path("dashboard", apis.DashboardApi.as_view(), name="dashboard"),
]
