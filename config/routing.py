"""WebSocket routes of the web process."""

from django.urls import path

from apps.marketdata.consumers import LiveUpdatesConsumer

websocket_urlpatterns = [
    path("ws/updates", LiveUpdatesConsumer.as_asgi()),
]
