from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .policy import GUEST, allowed_roles


def role_of(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return GUEST
    return user.role


class RolePolicy(BasePermission):
    """Applies apps.core.policy.POLICY to every API view; unknown routes are refused."""

    message = "Your role may not use this endpoint."

    def has_permission(self, request: Any, view: Any) -> bool:
        match = getattr(request, "resolver_match", None)
        allowed = allowed_roles(match.url_name if match else None)
        if allowed is None:
            raise exceptions.PermissionDenied("This endpoint has no access policy.")
        role = role_of(request.user)
        if role in allowed:
            return True
        if role == GUEST:
            raise exceptions.NotAuthenticated()
        return False
