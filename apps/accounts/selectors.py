from __future__ import annotations

from django.db.models import QuerySet

from apps.core.errors import NotFound

from .models import User


def user_list(
    *, role: str | None = None, active: bool | None = None, include_deleted: bool = False, email: str | None = None
) -> QuerySet[User]:
    from .services import DELETED_EMAIL_DOMAIN

    qs = User.objects.order_by("id")
    if not include_deleted:
        qs = qs.exclude(email__endswith="@" + DELETED_EMAIL_DOMAIN)
    if email:
        qs = qs.filter(email__icontains=email.strip().lower())
    if role is not None:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def user_get(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user
