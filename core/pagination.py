"""Counting and slicing a query into pages, in SQL."""

import math
from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from sqlalchemy import Select, func, literal_column, select

from core.extensions import db


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int
    #: The query-string parameter holding the page number (a page with two lists needs two).
    param: str = "page"
    #: True when counting stopped at the limit: ``total`` is then "at least".
    more: bool = False

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
        query = {k: v for k, v in request.args.items() if k != self.param}
        query.update(args)

        def href(n: int) -> str:
            return url_for(endpoint, **{self.param: n}, **query)

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


def page_number(param: str = "page") -> int:
    raw = request.args.get(param, "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def paginate(
    query: Select,
    *,
    page: int,
    per_page: int,
    scalars: bool = True,
    count_limit: int | None = None,
    total: int | None = None,
) -> Page:
    """One page of ``query``. With ``count_limit``, counting stops there (a bounded COUNT over a
    LIMIT, so a long table is never counted in full) and ``more`` says there are more. A caller
    that already holds the number of items (an aggregate computed for the same page) passes
    ``total`` and no COUNT runs."""
    if total is None:
        counted = query.order_by(None)
        if count_limit is not None:
            counted = counted.with_only_columns(literal_column("1"), maintain_column_froms=True).limit(count_limit + 1)
        total = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    more = count_limit is not None and total > count_limit
    total = min(total, count_limit) if count_limit is not None else total
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    sliced = query.limit(per_page).offset((page - 1) * per_page)
    items = db.session.scalars(sliced).all() if scalars else db.session.execute(sliced).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page, more=more)


def paginate_list(items: list, *, page: int, per_page: int, param: str = "page") -> Page:
    """One page of a list already computed (e.g. rows of a roll-up whose totals need them all)."""
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(page, pages)
    start = (page - 1) * per_page
    return Page(items=items[start : start + per_page], total=len(items), page=page, per_page=per_page, param=param)
