"""ASGI application of the `listener` process: the feed's WebSocket (/ticks) and /healthz."""

import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
get_asgi_application()  # set Django up before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from apps.marketdata.consumers import TickConsumer  # noqa: E402
from apps.marketdata.listener import get_listener  # noqa: E402


async def health(scope: dict, receive: object, send: object) -> None:
    """GET /healthz: up, and how many positions the stop-loss index holds."""
    if scope["type"] != "http":
        return
    listener = get_listener()
    await listener.ensure_started()
    body = json.dumps({"status": "ok", "index_size": len(listener.index), "ticks": listener.ticks}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


application = ProtocolTypeRouter(
    {
        "http": health,
        "websocket": URLRouter([path("ticks", TickConsumer.as_asgi())]),
    }
)
