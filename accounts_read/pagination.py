"""Delivery: the read API's pages for ninja's ``@paginate`` — ``?limit=&offset=`` in, the page out.

Ninja's own ``LimitOffsetPagination`` answers ``{"items", "count"}``; the read API has always
answered ``{"items", "count", "limit", "offset"}`` (and the ledger its ``account_id`` too), with
``limit`` at most 200 and ``offset`` at most 1000000, so these classes keep that contract.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase


class LimitOffsetPage(PaginationBase):
    """``{"items", "count", "limit", "offset"}``: ``limit`` items after the first ``offset``."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=200, description="Page size (1–200).")
        offset: int = Field(0, ge=0, le=1_000_000, description="Items to skip.")

    class Output(Schema):
        items: list[Any]
        count: int
        limit: int
        offset: int

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        start, size = pagination.offset, pagination.limit
        return {
            "items": queryset[start : start + size],
            "count": self._items_count(queryset),
            "limit": size,
            "offset": start,
        }


class LedgerPage(LimitOffsetPage):
    """A page of one account's ledger: the page, with the ``account_id`` of the route's path."""

    class Output(Schema):
        account_id: UUID
        items: list[Any]
        count: int
        limit: int
        offset: int

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: LimitOffsetPage.Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        return {"account_id": params["account_id"], **page}
