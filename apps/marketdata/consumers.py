from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer

from .auth import user_from_token
from .live import subscribe

NO_CHANNEL_LAYER = "none"  # an alias with no layer configured: get_channel_layer() gives None


class LiveUpdatesConsumer(AsyncWebsocketConsumer):
    """ws://host/ws/updates?token=<JWT access token>: the user's strategy events, orders and
    prices of their symbols (admins: everyone's)."""

    # No channel layer: events come straight from Redis pub/sub. (channels_redis 4.3 with
    # redis-py 8 lets an idle layer read time out, which kills the consumer.)
    channel_layer_alias = NO_CHANNEL_LAYER

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.user = await user_from_token((query.get("token") or [None])[0])
        if self.user is None:
            await self.close(code=4401)
            return
        await self.accept()
        self.pump = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for event in subscribe(self.user):
            await self.send(text_data=json.dumps(event, default=str))

    async def disconnect(self, code: int) -> None:
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Clients only listen; a ping is answered so they can check the line."""
        if text_data == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))


class TickConsumer(AsyncWebsocketConsumer):
    """The feed's connection to the listener: tick batches in, nothing out.
    Frame: {"t": <epoch seconds generated>, "ticks": [["TCS", "3501.05"], ...]}."""

    channel_layer_alias = NO_CHANNEL_LAYER  # ticks arrive on the socket only

    async def connect(self) -> None:
        import hmac

        from django.conf import settings

        from .listener import get_listener

        query = parse_qs(self.scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        if not settings.FEED_TOKEN or not hmac.compare_digest(token, settings.FEED_TOKEN):
            await self.close(code=4403)
            return
        self.listener = get_listener()
        await self.listener.ensure_started()
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        frame = json.loads(text_data if text_data is not None else (bytes_data or b"{}"))
        self.listener.on_batch(frame.get("ticks", ()), frame.get("t"))
