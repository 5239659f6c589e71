"""Lists: ``?page=&page_size=`` (at most 500), the total in ``X-Total-Count``.

Views use ``@blp.paginate(**PAGINATION)`` and return
``paginate(stmt, pagination_parameters)`` (a list read by hand records its total with
``record_page_total``); flask-smorest adds its ``X-Pagination`` header from the item count
and the app adds ``X-Total-Count``.
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import Select, func, select

from api.db import session

PAGINATION = {"page_size": 50, "max_page_size": 500}


def paginate(stmt: Select, pagination_parameters: Any) -> list[Any]:
    """One page of ``stmt``'s rows; records the total for the response headers.

    ``stmt`` selects one entity; it may join-load its collections (the page is made unique
    by entity).
    """
    page, size = pagination_parameters.page, pagination_parameters.page_size
    offset = (page - 1) * size
    rows = list(session.scalars(stmt.limit(size).offset(offset)).unique())
    record_page_total(stmt, pagination_parameters, len(rows))
    return rows


def record_page_total(
    stmt: Select, pagination_parameters: Any, found: int, counted: int | None = None
) -> None:
    """Record the total of ``stmt`` for the headers, given a page of ``found`` rows read
    from it (by ``paginate``, or by hand), and ``counted``, the ``count(*) OVER ()`` its
    rows carried if the page was counted (``None``: not counted, or no row)."""
    page, size = pagination_parameters.page, pagination_parameters.page_size
    offset = (page - 1) * size
    if counted is not None:
        total = counted
    elif 0 < found < size or (not found and page == 1):
        # The last page: the total follows from it, without a count (searches that find
        # a few rows save a query).
        total = offset + found
    else:  # a full page, or past the last page: no row tells the total
        total = _count(stmt)
    pagination_parameters.item_count = total
    g.total_count = total


def _count(stmt: Select) -> int:
    # The count carries the list's execution options: a list that looks past the scope on
    # purpose (skip_scope) must count what it shows.
    return session.scalar(
        select(func.count())
        .select_from(stmt.order_by(None).subquery())
        .execution_options(**stmt.get_execution_options())
    )
