from django.urls import path

from . import apis

urlpatterns = [
    path("notifications", apis.NotificationsApi.as_view(), name="notifications"),
    path("notifications/<int:notification_id>/read", apis.NotificationReadApi.as_view(), name="notification-read"),
    path("notifications/read-all", apis.NotificationsReadAllApi.as_view(), name="notifications-read-all"),
    path("notifications/settings", apis.NotificationSettingsApi.as_view(), name="notification-settings"),
]
