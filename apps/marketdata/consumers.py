from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer

from .auth import user_from_token
from .live import subscribe


class LiveUpdatesConsumer(AsyncWebsocketConsumer):
    """ws://host/ws/updates?token=<JWT access token>: the user's strategy events, orders and
    prices of their symbols (admins: everyone's)."""

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
