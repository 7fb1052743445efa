from __future__ import annotations

import json
from collections.abc import AsyncIterator

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from apps.core.exceptions import error_body

from .auth import user_from_token
from .live import subscribe


async def sse_updates(request: HttpRequest) -> HttpResponse:
    """Server-sent events: the same stream as the WebSocket, for clients that prefer plain
    HTTP. Auth: `Authorization: Bearer <access>` or `?token=<access>` (EventSource cannot set
    headers)."""
    header = request.headers.get("Authorization", "")
    raw = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else request.GET.get("token")
    user = await user_from_token(raw)
    if user is None:
        return JsonResponse(error_body("not_authenticated", "Sign in to follow live updates."), status=401)

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        async for event in subscribe(user):
            kind = event.get("type", "message")
            yield f"event: {kind}\ndata: {json.dumps(event, default=str)}\n\n".encode()

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
