"""Administration routes of operations, mounted under /api/admin/ beside apps.accounts.admin_urls."""

from django.urls import path

from . import apis

urlpatterns = [
    path("strategies", apis.AdminStrategiesApi.as_view(), name="admin-strategies"),
    path("strategies/<int:strategy_id>/stop", apis.AdminStrategyStopApi.as_view(), name="admin-strategy-stop"),
    path(
        "users/<int:user_id>/stop-strategies",
        apis.AdminUserStopStrategiesApi.as_view(),
        name="admin-user-stop-strategies",
    ),
    path("kill-switches", apis.AdminKillSwitchesApi.as_view(), name="admin-kill-switches"),
    path(
        "kill-switches/<int:switch_id>/release",
        apis.AdminKillSwitchReleaseApi.as_view(),
        name="admin-kill-switch-release",
    ),
    path("settings", apis.AdminSettingsApi.as_view(), name="admin-settings"),
    path("orders", apis.AdminOrdersApi.as_view(), name="admin-orders"),
    path("orders/<int:intent_id>", apis.AdminOrderDetailApi.as_view(), name="admin-order-detail"),
    path("audit", apis.AdminAuditApi.as_view(), name="admin-audit"),
]
