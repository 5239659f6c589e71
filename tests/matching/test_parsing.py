"""Reading department files: encodings, XLSX, the header check, bad rows (no database)."""

import pytest

from api.matching import parsing

COLUMNS = {"name": "姓名", "id_number": "身份证号", "amount": "金额", "event_date": "日期"}
TEXT = '姓名,身份证号,金额,日期\n张伟,440229199001011234,"12,000",2026年10月31日\n'


def write(tmp_path, data: bytes, name="f.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "declared", "read_as"),
    [
        ("utf-8", "auto", "utf-8-sig"),
        ("utf-8-sig", "utf-8", "utf-8-sig"),
        ("gbk", "auto", "gb18030"),
        ("gbk", "gbk", "gbk"),
        ("gb18030", "gb18030", "gb18030"),
    ],
)
def test_encodings(tmp_path, encoding, declared, read_as):
    path = write(tmp_path, TEXT.encode(encoding))
    fmt, used, header = parsing.check_file(path, declared, COLUMNS, 1000)
    assert (fmt, used, header) == ("csv", read_as, ["姓名", "身份证号", "金额", "日期"])
    [raw] = parsing.iter_rows(path, fmt, used, 1000)
    row = parsing.read_row(raw, COLUMNS, [])
    assert (row.name, str(row.amount), row.event_date.isoformat()) == (
        "张伟",
        "12000",
        "2026-10-31",
    )
    assert row.bad_reason is None and row.birth_year == 1990


def test_wrong_encoding_empty_file_and_missing_columns_are_refused(tmp_path):
    with pytest.raises(parsing.BadFile, match="not utf-8"):
        parsing.check_file(write(tmp_path, TEXT.encode("gbk")), "utf-8", COLUMNS, 1000)
    with pytest.raises(parsing.BadFile, match="empty"):
        parsing.check_file(write(tmp_path, b""), "auto", COLUMNS, 1000)
    with pytest.raises(parsing.BadFile) as caught:
        parsing.check_file(write(tmp_path, "名字,号码\n张,1\n".encode()), "auto", COLUMNS, 1000)
    assert "columns" in caught.value.errors
    with pytest.raises(parsing.BadFile, match="no rows"):
        parsing.check_file(
            write(tmp_path, "姓名,身份证号,金额,日期\n".encode()), "auto", COLUMNS, 1000
        )


def test_xlsx_is_streamed_and_typed_cells_are_read(tmp_path):
    from datetime import date

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "身份证号", "金额", "日期"])
    book.active.append(["张伟", "440229199001011234", 12000.0, date(2026, 10, 31)])
    path = tmp_path / "no-extension"
    book.save(path)
    fmt, encoding, _ = parsing.check_file(path, "auto", COLUMNS, 1000)
    [raw] = parsing.iter_rows(path, fmt, encoding, 1000)
    assert raw.values == {
        "姓名": "张伟",
        "身份证号": "440229199001011234",
        "金额": "12000",
        "日期": "2026-10-31",
    }


def test_bad_rows_have_reasons(tmp_path):
    lines = [
        "姓名,身份证号,金额,日期",
        ",440229199001011234,1,2026-10-01",
        "甲,12345,1,2026-10-01",
        "乙,４４０２２９１９９００１０１１２３ｘ,1,2026-10-01",
        "丙,,lots,2026-10-01",
        "丁,,1,someday",
        "戊," + "9" * 3000 + ",1,2026-10-01",
        "己,440229900101123,1,",
    ]
    path = write(tmp_path, "\n".join(lines).encode())
    rows = [parsing.read_row(r, COLUMNS, []) for r in parsing.iter_rows(path, "csv", "utf-8", 2000)]
    assert [r.bad_reason for r in rows] == [
        "missing_name",
        "unreadable_id_number",
        None,  # full-width digits and x are read as the number
        "bad_amount",
        "bad_date",
        "row_too_long",
        None,  # an old 15-digit number
    ]
    assert rows[2].id_number == "44022919900101123X"


def test_undecodable_text_is_a_bad_row(tmp_path):
    data = "姓名,身份证号,金额,日期\n张伟,,1,\n".encode() + b"\xff\xfe,,1,\n"
    path = write(tmp_path, data)
    rows = list(parsing.iter_rows(path, "csv", "utf-8-sig", 1000))
    assert [r.problem for r in rows] == [None, "unreadable_text"]
