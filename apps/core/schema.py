"""OpenAPI generation tweaks: unique component names for nested Input/Output serializers,
wall-clock times described as what they are, and our JWT authentication class described as
bearer auth."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.drainage import has_override
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import append_meta
from rest_framework import serializers

# Strategy times (buy_time, sell_time) are IST wall-clock times without an offset:
# "09:20:00" in, "09:20:00" out. OpenAPI's `format: time` means RFC 3339 full-time, which
# requires an offset ("09:20:00+05:30"), so a validator rightly flags every such value;
# they are declared as patterned strings instead. [0-9], not \d: \d matches any Unicode
# digit in Python (and so in a Python validator or generator), only ASCII in ECMA-262.
TIME_REQUEST_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"  # HH:MM or HH:MM:SS
TIME_RESPONSE_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"  # always HH:MM:SS
TIME_DESCRIPTION = "Wall-clock time in IST (Asia/Kolkata), 24-hour, no UTC offset"


class AutoSchema(BaseAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        # Views declare `class Input` / `class Output` inside them; their qualified name
        # (RegisterApi.Input -> RegisterInput) keeps every component distinct.
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)
            return outer.removesuffix("Api").replace(".", "") + inner
        return super().get_serializer_name(serializer, direction)

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> Any:
        if isinstance(field, serializers.TimeField) and not has_override(field, "field"):
            return append_meta(_wall_clock_time(field, direction), self._get_serializer_field_meta(field, direction))
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _wall_clock_time(field: serializers.TimeField, direction: str) -> dict[str, Any]:
    if direction == "response" and field.format == "%H:%M:%S":
        return {
            "type": "string",
            "pattern": TIME_RESPONSE_PATTERN,
            "example": "09:20:00",
            "description": f"{TIME_DESCRIPTION}: HH:MM:SS.",
        }
    return {
        "type": "string",
        "pattern": TIME_REQUEST_PATTERN,
        "example": "09:20:00",
        "description": f"{TIME_DESCRIPTION}: HH:MM:SS or HH:MM.",
    }


class JWTScheme(SimpleJWTScheme):
    target_class = "apps.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
