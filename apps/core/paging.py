"""Page-number paging for list endpoints that can grow without bound (admin logs, history)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from .serializers import StrictSerializer

MAX_PAGE_SIZE = 200


class PageInput(StrictSerializer):
    """Query parameters `page` (from 1) and `page_size` (1..200); filters subclass it."""

    page = serializers.IntegerField(min_value=1, max_value=10**6, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=50)


def paginate(qs: QuerySet[Any] | list[Any], *, page: int, page_size: int) -> tuple[int, list[Any]]:
    """(total count, the rows of that page)."""
    count = qs.count() if isinstance(qs, QuerySet) else len(qs)
    start = (page - 1) * page_size
    return count, list(qs[start : start + page_size])


def page_body(*, count: int, page: int, page_size: int, results: list[Any]) -> dict[str, Any]:
    return {"count": count, "page": page, "page_size": page_size, "results": results}


def split_page(validated: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """(filters without the paging keys, page, page_size)."""
    filters = dict(validated)
    return filters, filters.pop("page", 1), filters.pop("page_size", 50)


_PAGED: dict[type, type] = {}


def paged(item: type[serializers.Serializer]) -> serializers.Serializer:
    """The OpenAPI shape of a page of `item` rows (for extend_schema responses)."""
    cls = _PAGED.get(item)
    if cls is None:
        cls = type(
            f"Paged{item.__name__}",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "page_size": serializers.IntegerField(),
                "results": item(many=True),
            },
        )
        _PAGED[item] = cls
    return cls()
