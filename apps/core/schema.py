"""OpenAPI generation tweaks: unique component names for nested Input/Output serializers,
and our JWT authentication class described as bearer auth."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


class AutoSchema(BaseAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        # Views declare `class Input` / `class Output` inside them; their qualified name
        # (RegisterApi.Input -> RegisterInput) keeps every component distinct.
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)
            return outer.removesuffix("Api").replace(".", "") + inner
        return super().get_serializer_name(serializer, direction)


class JWTScheme(SimpleJWTScheme):
    target_class = "apps.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
