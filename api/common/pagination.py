"""Lists: ``?page=&page_size=`` (at most 500), the total in ``X-Total-Count``.

Views use ``@blp.paginate(**PAGINATION)`` and return
``paginate(stmt, pagination_parameters)`` (``paginate_counted`` for a search that finds
few rows); flask-smorest adds its ``X-Pagination`` header from the item count and the app
adds ``X-Total-Count``.
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
    # The last page: the total follows from it, without a count (searches that find a few
    # rows save a query).
    last_page = 0 < len(rows) < size or (not rows and page == 1)
    _record_total(pagination_parameters, offset + len(rows) if last_page else _count(stmt))
    return rows


def paginate_counted(stmt: Select, pagination_parameters: Any) -> list[Any]:
    """``paginate`` for a search that finds tens or hundreds of rows: the page and the
    total come from one statement (``count(*) OVER ()`` beside each row), so the matches
    are found once, not once for the page and again for the count.

    Not for a list of a whole area: a window count reads every row of the list before
    returning the first, where ``paginate`` stops at the end of the page and counts from
    an index.
    """
    page, size = pagination_parameters.page, pagination_parameters.page_size
    offset = (page - 1) * size
    counted = stmt.add_columns(func.count().over().label("total"))
    rows = session.execute(counted.limit(size).offset(offset)).unique().all()
    if rows:
        total = rows[0].total
    elif page == 1:
        total = 0
    else:  # past the last page: no row carries the total
        total = _count(stmt)
    _record_total(pagination_parameters, total)
    return [row[0] for row in rows]


def _count(stmt: Select) -> int:
    # The count carries the list's execution options: a list that looks past the scope on
    # purpose (skip_scope) must count what it shows.
    return session.scalar(
        select(func.count())
        .select_from(stmt.order_by(None).subquery())
        .execution_options(**stmt.get_execution_options())
    )


def _record_total(pagination_parameters: Any, total: int) -> None:
    pagination_parameters.item_count = total
    g.total_count = total
