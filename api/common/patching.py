"""PATCH bodies: any top-level field may be left out, nested records stay whole."""

from __future__ import annotations

from marshmallow import Schema


def partial_update(schema_class: type[Schema]) -> Schema:
    """A schema instance for a partial update.

    ``partial=True`` would reach into nested schemas too, so a list item or a household
    member sent without its required fields would be stored half-formed; naming the
    top-level fields keeps partiality to them.
    """
    names = tuple(name for name, field in schema_class().fields.items() if not field.dump_only)
    return schema_class(partial=names)
