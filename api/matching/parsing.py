"""Reading other departments' files: CSV (UTF-8, GBK, GB18030) and XLSX, streamed.

Nothing here holds a whole file: CSV is decoded as it is read, XLSX is read with
openpyxl's read-only mode (one row at a time). ``check_file`` reads only the start (the
encoding, the header) so that a wrong file is refused before any row is stored;
``iter_rows`` yields the rows for the job. ``read_row`` turns one raw row into the fields a
list row keeps, with the reason it is bad, if it is.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from api.common.arguments import unstorable

# What the start of a file is checked on (encoding, header).
HEAD_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
_ID_SHAPE = re.compile(r"^(\d{15}|\d{17}[\dX])$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
_SEX = {"男": "male", "女": "female", "m": "male", "f": "female", "male": "male"}
_SEX |= {"female": "female", "1": "male", "2": "female"}


class BadFile(ValueError):
    """A file that cannot be read as the source says (field -> messages)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


@dataclass(frozen=True)
class RawRow:
    row_no: int
    values: dict[str, str]
    problem: str | None = None  # unreadable_text, row_too_long


@dataclass
class ReadRow:
    name: str | None = None
    id_number: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    address: str | None = None
    village_code: str | None = None
    village: str | None = None
    amount: Decimal | None = None
    event_date: date | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    bad_reason: str | None = None

    @property
    def birth_year(self) -> int | None:
        if self.birth_date is not None:
            return self.birth_date.year
        if self.id_number and len(self.id_number) == 18 and self.id_number[6:10].isdigit():
            return int(self.id_number[6:10])
        return None


def file_format(head: bytes) -> str:
    return "xlsx" if head.startswith(XLSX_MAGIC) else "csv"


def _decodes(head: bytes, encoding: str) -> bool:
    # An incremental decoder: the block may end inside a character.
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(head: bytes, declared: str) -> str:
    """The encoding to read a CSV with: the source's, or (``auto``) UTF-8 when the start
    decodes as UTF-8, else GB18030 (which reads GBK too)."""
    if declared == "auto":
        return "utf-8-sig" if _decodes(head, "utf-8") else "gb18030"
    encoding = "utf-8-sig" if declared == "utf-8" else declared
    if not _decodes(head, encoding):
        raise BadFile({"file": [f"The file is not {declared} text (the source says it is)."]})
    return encoding


def _clean_header(cells: list[Any]) -> list[str]:
    return [str(c).strip().lstrip("\ufeff") if c is not None else "" for c in cells]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Table:
    """A header and its rows, streamed from a CSV or XLSX file."""

    def __init__(self, path: Path, fmt: str, encoding: str | None, max_row_chars: int) -> None:
        self.path, self.fmt, self.encoding, self.max_row_chars = path, fmt, encoding, max_row_chars

    def rows(self) -> Iterator[tuple[list[Any] | None, str | None]]:
        """(cells, problem) per line, the header first."""
        if self.fmt == "xlsx":
            yield from self._xlsx()
        else:
            yield from self._csv()

    def _xlsx(self) -> Iterator[tuple[list[Any] | None, str | None]]:
        from openpyxl import load_workbook

        # A handle, not the path: openpyxl judges a path by its extension, and stored
        # files are named by their hash.
        handle = self.path.open("rb")
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a broken archive
            handle.close()
            raise BadFile({"file": ["The file is not a readable XLSX workbook."]}) from exc
        try:
            sheet = book.worksheets[0] if book.worksheets else None
            if sheet is None:
                return
            rows = sheet.iter_rows(values_only=True)
            while True:
                try:
                    cells = next(rows)
                except StopIteration:
                    return
                except Exception as exc:  # a broken sheet inside a sound archive
                    raise BadFile({"file": ["The workbook's sheet cannot be read."]}) from exc
                if sum(len(_cell_text(c)) for c in cells) > self.max_row_chars:
                    yield None, "row_too_long"
                elif any(unstorable(_cell_text(c)) for c in cells):
                    yield None, "unreadable_text"
                else:
                    yield list(cells), None
        finally:
            book.close()
            handle.close()

    def _csv(self) -> Iterator[tuple[list[Any] | None, str | None]]:
        csv.field_size_limit(self.max_row_chars)
        with self.path.open("rb") as binary:
            text = io.TextIOWrapper(binary, encoding=self.encoding, errors="replace", newline="")
            reader = csv.reader(text)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    # A field past the limit (or a broken quote): the row is bad, the
                    # reader goes on at the next line.
                    yield None, "row_too_long"
                    continue
                if sum(len(c) for c in cells) > self.max_row_chars:
                    yield None, "row_too_long"
                elif any("\ufffd" in c or unstorable(c) for c in cells):
                    # Undecodable bytes, or a NUL, which PostgreSQL text cannot hold.
                    yield None, "unreadable_text"
                else:
                    yield cells, None


def open_table(path: Path, declared_encoding: str, max_row_chars: int) -> tuple[str, str | None]:
    """(format, encoding) of a stored file."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip():
        raise BadFile({"file": ["The file is empty."]})
    fmt = file_format(head)
    return fmt, (None if fmt == "xlsx" else csv_encoding(head, declared_encoding))


def check_file(
    path: Path, declared_encoding: str, columns: Mapping[str, str], max_row_chars: int
) -> tuple[str, str | None, list[str]]:
    """(format, encoding, header) of a file the source can read; ``BadFile`` when it is
    empty, not in the source's encoding, or lacks a mapped column."""
    fmt, encoding = open_table(path, declared_encoding, max_row_chars)
    lines = _Table(path, fmt, encoding, max_row_chars).rows()
    header: list[str] | None = None
    for cells, _problem in lines:
        if cells is not None and any(_cell_text(c) for c in cells):
            header = _clean_header(cells)
            break
    if header is None:
        raise BadFile({"file": ["The file has no header row."]})
    missing = [h for h in columns.values() if h not in header]
    if missing:
        raise BadFile(
            {"columns": [f"Columns the source maps are not in the file: {', '.join(missing)}."]}
        )
    has_row = any(cells is not None or problem for cells, problem in lines)
    if not has_row:
        raise BadFile({"file": ["The file has a header and no rows."]})
    return fmt, encoding, header


def iter_rows(path: Path, fmt: str, encoding: str | None, max_row_chars: int) -> Iterator[RawRow]:
    """The rows under the header as {header: text}, numbered from 1 (blank lines skip a
    number, so a row's number is its place in the file)."""
    header: list[str] | None = None
    row_no = 0
    for cells, problem in _Table(path, fmt, encoding, max_row_chars).rows():
        if header is None:
            if cells is not None and any(_cell_text(c) for c in cells):
                header = _clean_header(cells)
            continue
        row_no += 1
        if problem is not None:
            yield RawRow(row_no, {}, problem)
            continue
        assert cells is not None
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        yield RawRow(row_no, {h: t for h, t in zip(header, texts, strict=False) if h})


def parse_date(text: str) -> date | None:
    """A date as offices write it; None when it is none of those."""
    text = text.strip().translate(_FULL_WIDTH)
    if len(text) == 10 and text[4] == "-":
        # The common case, without strptime's cost (a million rows, a date each).
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    return None


def normalize_id(text: str) -> str:
    return "".join(text.split()).translate(_FULL_WIDTH).upper()


def read_row(raw: RawRow, columns: Mapping[str, str], attributes: list[str]) -> ReadRow:
    """The fields of a raw row by the source's mapping, and the first reason it is bad."""
    row = ReadRow(bad_reason=raw.problem)
    if raw.problem is not None:
        return row

    def text(field_name: str) -> str:
        header = columns.get(field_name)
        return raw.values.get(header, "").strip() if header else ""

    row.name = "".join(text("name").split()) or None
    id_text = normalize_id(text("id_number"))
    row.id_number = id_text or None
    row.address = text("address") or None
    row.village_code = text("village_code") or None
    row.village = text("village") or None
    row.sex = _SEX.get(text("sex").lower())
    row.attributes = {h: raw.values.get(h, "") for h in attributes if raw.values.get(h)}
    birth, event, amount = text("birth_date"), text("event_date"), text("amount")
    row.birth_date = parse_date(birth) if birth else None
    row.event_date = parse_date(event) if event else None
    if amount:
        try:
            row.amount = Decimal(amount.replace(",", "").replace("¥", "").replace("元", ""))
        except InvalidOperation:
            row.amount = None
    if row.name is None:
        row.bad_reason = "missing_name"
    elif id_text and not _ID_SHAPE.match(id_text):
        row.bad_reason = "unreadable_id_number"
    elif (birth and row.birth_date is None) or (event and row.event_date is None):
        row.bad_reason = "bad_date"
    elif amount and (row.amount is None or not row.amount.is_finite()):
        row.bad_reason = "bad_amount"
    return row
