from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.core.policy import ADMIN

from .models import BrokerAccount


def broker_account_list(*, user: Any) -> QuerySet[BrokerAccount]:
    return BrokerAccount.objects.filter(user=user).order_by("id")


def broker_account_get(*, user: Any, account_id: int) -> BrokerAccount:
    """The caller's own account; anybody else's answers 404, as if it did not exist."""
    account = BrokerAccount.objects.filter(user=user, pk=account_id).first()
    if account is None:
        raise NotFound("Broker account not found.")
    return account


def broker_account_visible(*, user: Any, account_id: int) -> BrokerAccount:
    """Own account, or any account for an admin."""
    qs = BrokerAccount.objects.all() if user.role == ADMIN else BrokerAccount.objects.filter(user=user)
    account = qs.filter(pk=account_id).first()
    if account is None:
        raise NotFound("Broker account not found.")
    return account
