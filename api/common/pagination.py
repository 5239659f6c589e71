"""Lists: ``?page=&page_size=`` (at most 500), the total in ``X-Total-Count``.

Views use ``@blp.paginate(**PAGINATION)`` and return
``paginate(stmt, pagination_parameters)``; flask-smorest adds its
``X-Pagination`` header from the item count and the app adds ``X-Total-Count``.
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
    if 0 < len(rows) < size or (not rows and page == 1):
        # The last page: the total follows from it, without a count (searches that find a
        # few rows save a query).
        total = offset + len(rows)
    else:
        # The count carries the list's execution options: a list that looks past the scope
        # on purpose (skip_scope) must count what it shows.
        total = session.scalar(
            select(func.count())
            .select_from(stmt.order_by(None).subquery())
            .execution_options(**stmt.get_execution_options())
        )
    pagination_parameters.item_count = total
    g.total_count = total
    return rows
