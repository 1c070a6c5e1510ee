"""Counting and slicing a query into pages, in SQL."""

import math
from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from sqlalchemy import Select, func, select

from core.extensions import db


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def govuk_params(self, endpoint: str, **args) -> dict | None:
        """Parameters for the govukPagination macro, keeping the current filters."""
        if self.pages <= 1:
            return None
        query = {k: v for k, v in request.args.items() if k != "page"}
        query.update(args)

        def href(n: int) -> str:
            return url_for(endpoint, page=n, **query)

        params: dict = {"items": []}
        if self.page > 1:
            params["previous"] = {"href": href(self.page - 1)}
        if self.page < self.pages:
            params["next"] = {"href": href(self.page + 1)}
        for n in range(1, self.pages + 1):
            if n in (1, self.pages) or abs(n - self.page) <= 2:
                params["items"].append({"number": n, "href": href(n), "current": n == self.page})
            elif params["items"] and params["items"][-1].get("ellipsis") is not True:
                params["items"].append({"ellipsis": True})
        return params


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def paginate(query: Select, *, page: int, per_page: int, scalars: bool = True) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    sliced = query.limit(per_page).offset((page - 1) * per_page)
    items = db.session.scalars(sliced).all() if scalars else db.session.execute(sliced).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)
