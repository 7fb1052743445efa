"""The web process: one uvicorn, one port, three kinds of traffic.

* WebSocket (/ws/updates): Channels consumers, on the event loop.
* Async views (the SSE stream /api/stream/sse): Django's ASGI handler, on the event loop.
* Everything else, i.e. the whole REST API (sync DRF views): Django's WSGI handler on a pool of
  WEB_THREADS threads (a2wsgi). Under Django's ASGI handler a sync view runs through
  sync_to_async(thread_sensitive=True): every request of the process waits for the same single
  thread (one slow query stalls them all), and each pays for several event-loop/thread
  hand-offs (/healthz: 2.7 ms of CPU per request under the ASGI handler, 0.75 ms here, on the
  2-core dev machine). On the pool, requests overlap their database and Redis waits as under a
  threaded WSGI server, while long-lived streams stay on the loop and never hold a thread.
"""

import functools
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Django must be set up before anything imports models (consumers, middleware).
django_asgi_app = get_asgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from asgiref.sync import iscoroutinefunction  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

# Each thread holds at most one database connection (from the per-process pool, DB_POOL_MAX)
# while it serves a request; keep WEB_THREADS below DB_POOL_MAX, which the ASGI side shares.
WEB_THREADS = int(os.environ.get("WEB_THREADS", "8"))
django_wsgi_app = WSGIMiddleware(get_wsgi_application(), workers=WEB_THREADS)


@functools.lru_cache(maxsize=4096)
def _async_view(path: str) -> bool:
    try:
        return iscoroutinefunction(resolve(path).func)
    except Resolver404:
        return False


async def http_application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    app = django_asgi_app if _async_view(path) else django_wsgi_app
    await app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
