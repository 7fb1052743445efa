from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts.apis import MeApi
from apps.core import views as core_views
from apps.marketdata.views import sse_updates
from apps.monitoring.views import metrics_view

api = [
    path("auth/", include("apps.accounts.urls")),
    path("me", MeApi.as_view(), name="auth-me"),
    path("broker/", include("apps.broker_accounts.urls")),
    path("broker/", include("apps.operations.broker_urls")),
    path("strategy/", include("apps.strategies.urls")),
    path("stream/sse", sse_updates, name="stream-sse"),
    path("admin/", include("apps.accounts.admin_urls")),
    path("admin/", include("apps.operations.admin_urls")),
    path("compliance/", include("apps.operations.urls")),
    path("", include("apps.notifications.urls")),
    path("playground/", include("apps.playground.urls")),
    path("", include("apps.dashboard.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/", include(api)),
    path("admin/", admin.site.urls),
]

handler404 = "apps.core.exceptions.json_404"
handler500 = "apps.core.exceptions.json_500"
