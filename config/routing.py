"""WebSocket routes (live updates arrive with the market-data work)."""

websocket_urlpatterns: list = []
