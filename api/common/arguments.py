"""The guard every request's arguments pass: bad input is a 4xx here, never a 500 later.

Every view reads its query, body, form and headers through flask-smorest's
``@blp.arguments`` (and ``@blp.paginate``), which hand them to webargs. Every blueprint of
the API is this module's ``Blueprint`` (``DoudiApi.register_blueprint`` refuses any
other), so all arguments go through ``GuardedParser``, which adds to marshmallow's own
checks, for every field of every schema, present and future:

- JSON bodies nest at most ``MAX_JSON_DEPTH`` levels, counted before parsing (a body
  nested 100,000 deep would otherwise exhaust Python's recursion in the decoder);
- strings (values and keys, in any location) hold nothing the databases cannot store: no
  lone surrogate (``"\\ud800"`` in JSON) and no NUL, which PostgreSQL text refuses;
- integers are whole: marshmallow would truncate 1.5 sent for an integer field to 1;
- integers fit the databases' INTEGER columns (32-bit signed; SQLite fails on anything past
  64 bits with a Python OverflowError, PostgreSQL on anything past 32 with an error);
- dates and times lie in ``DATE_MIN``..``DATE_MAX``, checked on the date as given and, for
  times with an offset, on the UTC instant and the county date it names (Python's dates end
  at year 9999, so ``9999-12-31T23:59:59-12:00`` overflows the moment it is converted).

Each refusal is a 422 naming the field path, like marshmallow's own messages. Path ids are
checked where the URL is matched (``api.__init__``): an id past the range names nothing (404).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any

import flask_smorest
import marshmallow as ma
from flask.json.provider import DefaultJSONProvider
from marshmallow import fields
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy

from api.common.county_time import county_zone
from api.errors import ApiError

# PostgreSQL and SQLite INTEGER as the models use it (ids, counts, sizes); the one BIGINT
# column (photos.original_bytes) is never input.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2100, 12, 31)
MAX_JSON_DEPTH = 64

INT_RANGE_MESSAGE = f"Must be a whole number from {INT_MIN} to {INT_MAX}."
DATE_RANGE_MESSAGE = f"Must lie between {DATE_MIN} and {DATE_MAX} (in UTC and in the county)."
FRACTION_MESSAGE = "Not a valid integer: a whole number is expected."
UNSTORABLE_MESSAGE = "Holds a character that cannot be stored (a lone surrogate or NUL)."


class TooDeep(ApiError):
    status, slug, title = 400, "too-deep", "JSON nested too deep"


# Strings are dropped whole so that brackets inside them do not count; escaped backslashes
# and quotes are dropped first (plain str.replace), which keeps the patterns simple and
# fast on any input.
_JSON_STRING = re.compile(r'"[^"]*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


def check_json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    plain = _JSON_STRING.sub("", text.replace("\\\\", "").replace('\\"', ""))
    depth = 0
    for bracket in _NOT_A_BRACKET.sub("", plain):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            raise TooDeep(f"JSON bodies nest at most {limit} levels of arrays and objects.")


def load_json(data: bytes | str) -> Any:
    """A JSON body as webargs parses it, refused (400) if nested past ``MAX_JSON_DEPTH``."""
    text = data
    if isinstance(data, bytes):
        try:
            text = data.decode()
        except UnicodeDecodeError:
            return core.parse_json(data)  # webargs' own "Invalid JSON" answer
    check_json_depth(text)
    return core.parse_json(text)


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with the same depth limit for a view that reads ``request.get_json``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        check_json_depth(s.decode(errors="replace") if isinstance(s, bytes) else s)
        return super().loads(s, **kwargs)


def unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def _unstorable_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if unstorable(value):
            yield path or "_schema"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and unstorable(key):
                yield path or "_schema"
                continue
            yield from _unstorable_paths(item, key_path)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _unstorable_paths(item, f"{path}.{index}" if path else str(index))


def unstorable_error(value: Any) -> ma.ValidationError | None:
    """The paths of ``value`` (a document read outside the parser: an uploaded GeoJSON
    file) holding a string the database cannot store, as a ValidationError; else None."""
    return _as_error((path, UNSTORABLE_MESSAGE) for path in _unstorable_paths(value, ""))


# Aware times between these have every date the check reads (as given, UTC, county) in
# range: an offset moves a date by less than a day. Most times pass here unconverted.
_SAFE_FROM = datetime.combine(DATE_MIN + timedelta(days=1), time(), UTC)
_SAFE_TO = datetime.combine(DATE_MAX - timedelta(days=1), time(), UTC)


def safely_in_range(value: datetime) -> bool:
    """An aware time every date of which (as given, UTC, county) is in range: no range
    problem can be found in it, and ``range_problem`` need not convert it."""
    return value.tzinfo is not None and _SAFE_FROM <= value <= _SAFE_TO


class RangesChecked(list):
    """A loaded list whose field has already held each item to the ranges the range walk
    checks (a track batch's points, each time ``safely_in_range``): not walked again."""


def range_problem(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if INT_MIN <= value <= INT_MAX else INT_RANGE_MESSAGE
    if isinstance(value, datetime):
        if safely_in_range(value):
            return None
        try:
            days = [value.date()]
            if value.tzinfo is not None:
                days += [value.astimezone(UTC).date(), value.astimezone(county_zone()).date()]
        except (OverflowError, ValueError):
            return DATE_RANGE_MESSAGE
        return None if all(DATE_MIN <= day <= DATE_MAX for day in days) else DATE_RANGE_MESSAGE
    if isinstance(value, date):
        return None if DATE_MIN <= value <= DATE_MAX else DATE_RANGE_MESSAGE
    return None


# Two walks share one shape: the range walk reads what a schema loaded (keyed by
# attribute); the fraction walk reads the document as sent (keyed by data_key), because
# marshmallow has already turned 1.5 into 1 by the time anything is loaded.
RANGE, FRACTION = "range", "fraction"
_LEAF_TYPES = {
    RANGE: (fields.Integer, fields.Date, fields.DateTime),
    FRACTION: (fields.Integer,),
}


@lru_cache(maxsize=4096)
def _is_leaf(field: fields.Field, kind: str) -> bool:
    # Cached: marshmallow's fields are ABCs, and an isinstance on an ABC is slow when a
    # thousand GPS points each go through it.
    return isinstance(field, _LEAF_TYPES[kind])


def _leaf_problem(kind: str, value: Any) -> str | None:
    if kind == RANGE:
        return range_problem(value)
    # marshmallow turns 1.5 into 1 for an Integer field (int() truncates): task 1.5 would
    # reassign task 1. A whole float (2.0) is the same number and passes.
    if isinstance(value, float) and not value.is_integer():
        return FRACTION_MESSAGE
    return None


def _field_problems(
    field: fields.Field, value: Any, path: str, kind: str, raw: bool
) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if _is_leaf(field, kind):
        problem = _leaf_problem(kind, value)
        if problem:
            yield path, problem
    elif isinstance(field, fields.Nested) and isinstance(value, (dict, list)):
        yield from _walk(field.schema, value, f"{path}.", field.many, kind, raw)
    elif isinstance(field, fields.List) and isinstance(value, list):
        if kind == RANGE and type(value) is RangesChecked:
            return
        for index, item in enumerate(value):
            yield from _field_problems(field.inner, item, f"{path}.{index}", kind, raw)
    elif isinstance(field, fields.Tuple) and isinstance(value, (tuple, list)):
        for index, (inner, item) in enumerate(zip(field.tuple_fields, value, strict=False)):
            yield from _field_problems(inner, item, f"{path}.{index}", kind, raw)
    elif isinstance(field, fields.Dict) and field.value_field and isinstance(value, dict):
        for key, item in value.items():
            yield from _field_problems(field.value_field, item, f"{path}.{key}", kind, raw)


def _may_hold_problems(field: fields.Field, kind: str) -> bool:
    """Whether ``_field_problems`` can find anything in this field's values: not in a
    float, a string, a list of them, a nested schema of them (the fraction walk skips a
    batch of GPS points, which holds no integer; the range walk reads their times only)."""
    if isinstance(field, fields.List):
        return _may_hold_problems(field.inner, kind)
    if isinstance(field, fields.Tuple):
        return any(_may_hold_problems(inner, kind) for inner in field.tuple_fields)
    if isinstance(field, fields.Dict):
        return field.value_field is not None and _may_hold_problems(field.value_field, kind)
    if isinstance(field, fields.Nested):
        return _nested_may_hold_problems(field.schema, kind)
    return _is_leaf(field, kind)


_NESTED_OPEN: set[tuple[type, str]] = set()


def _nested_may_hold_problems(schema: ma.Schema, kind: str) -> bool:
    key = (type(schema), kind)
    if key in _NESTED_OPEN:
        return True  # a schema nested in itself (or another thread asking): walk it
    _NESTED_OPEN.add(key)
    try:
        return bool(_checked_fields(schema, kind))
    finally:
        _NESTED_OPEN.discard(key)


@lru_cache(maxsize=4096)
def _checked_fields(schema: ma.Schema, kind: str) -> list[tuple[str, str, fields.Field]]:
    """(attribute, path name, field) of the schema's loaded fields worth walking."""
    return [
        (field.attribute or name, field.data_key or name, field)
        for name, field in schema.load_fields.items()
        if _may_hold_problems(field, kind)
    ]


def _walk(
    schema: ma.Schema, data: Any, prefix: str, many: bool | None, kind: str, raw: bool
) -> Iterator[tuple[str, str]]:
    if many if many is not None else schema.many:
        for index, item in enumerate(data if isinstance(data, list) else []):
            yield from _walk(schema, item, f"{prefix}{index}.", False, kind, raw)
        return
    for attribute, path, field in _checked_fields(schema, kind):
        key = path if raw else attribute
        # A schema may load into an object (flask-smorest's pagination parameters).
        value = data.get(key) if isinstance(data, dict) else getattr(data, key, None)
        yield from _field_problems(field, value, f"{prefix}{path}", kind, raw)


def schema_problems(schema: ma.Schema, data: Any) -> Iterator[tuple[str, str]]:
    """(field path, message) for each loaded integer, date or time out of range."""
    return _walk(schema, data, "", None, RANGE, raw=False)


def fraction_problems(schema: ma.Schema, data: Any) -> Iterator[tuple[str, str]]:
    """(field path, message) for each number with a fraction sent for an integer field."""
    if isinstance(data, MultiDictProxy):  # query strings and forms: int("1.5") already fails
        return iter(())
    return _walk(schema, data, "", None, FRACTION, raw=True)


def _as_error(problems: Iterator[tuple[str, str]]) -> ma.ValidationError | None:
    messages: dict[str, list[str]] = {}
    for path, message in problems:
        if message not in messages.setdefault(path, []):
            messages[path].append(message)
    return ma.ValidationError(messages) if messages else None


def checked_load(schema: ma.Schema, data: Any) -> Any:
    """``schema.load(data)`` with the parser's range checks, for a body's parts loaded one
    by one (the items of an offline sync batch); the strings were checked with the body."""
    error = _as_error(fraction_problems(schema, data))
    if error:
        raise error
    loaded = schema.load(data)
    error = _as_error(schema_problems(schema, loaded))
    if error:
        raise error
    return loaded


# In JSON text, a NUL or a lone surrogate can only be written as a \\u escape (raw
# control characters are invalid JSON, and strict UTF-8 has no surrogates). A body without
# any escape of either kind needs no walk of its strings; one with one (or with an escaped
# backslash before a "u", or a surrogate pair) is walked.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


@cache
def _schema_instance(schema_class: type[ma.Schema]) -> ma.Schema:
    return schema_class()


class GuardedParser(FlaskParser):
    """webargs' Flask parser with this module's checks (see the module's docstring)."""

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        # webargs makes a schema class given to ``@blp.arguments`` (and flask-smorest's
        # pagination parameters) into a new instance for every request: its fields
        # deep-copied, and a miss in ``_checked_fields``' cache each time. Schemas keep no
        # state of a load, so one instance per class serves every request, as flask-smorest's
        # response schemas do.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _schema_instance(argmap)
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        loaded = load_json(data)
        try:
            req.json_storable = _UNSTORABLE_ESCAPE.search(data.decode()) is None
        except UnicodeDecodeError:
            req.json_storable = False
        return loaded

    def pre_load(self, location_data: Any, *, schema: ma.Schema, req: Any, location: str) -> Any:
        error = _as_error(fraction_problems(schema, location_data))
        if error:
            raise error
        if location == "json" and getattr(req, "json_storable", False):
            return location_data
        if isinstance(location_data, MultiDictProxy):
            # Every value of a repeated query key or form field; headers too (no Mapping).
            multi = location_data.data
            pairs = multi.items(multi=True) if hasattr(multi, "lists") else multi.items()
            paths = (p for key, value in pairs for p in _unstorable_paths({key: value}, ""))
        else:
            paths = _unstorable_paths(location_data, "")
        error = _as_error((path, UNSTORABLE_MESSAGE) for path in paths)
        if error:
            raise error
        return location_data

    def _process_location_data(
        self, location_data: Any, schema: ma.Schema, *args: Any, **kwargs: Any
    ) -> Any:
        try:
            data = super()._process_location_data(location_data, schema, *args, **kwargs)
        except ma.ValidationError as error:
            # Other fields failed: the ones that loaded are still checked, so that each
            # field out of range is named in the same answer.
            extra = _as_error(schema_problems(schema, error.valid_data or {}))
            if extra and isinstance(error.messages, dict):
                for path, messages in extra.messages.items():
                    error.messages.setdefault(path, messages)
            raise
        error = _as_error(schema_problems(schema, data))
        if error:
            raise error
        return data


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint parsing arguments and pages with ``GuardedParser``."""

    ARGUMENTS_PARSER = GuardedParser()
    PAGINATION_ARGUMENTS_PARSER = ARGUMENTS_PARSER
