"""Rows of a shop's data file (UTF-8 CSV or the first sheet of an .xlsx), each with its line number."""

from __future__ import annotations

import csv
import io
import math
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from bot.importing.problems import ImportFailed, Problem

#: Bounds a shop's file never reaches and a crafted one cannot pass: the largest import the bot is built
#: for is 100,000 catalog rows (benchmarks/import_bench.py); 13 columns are the widest kind.
MAX_ROWS = 200_000
MAX_COLUMNS = 64
#: The longest value a column stores is 4,000 characters.
MAX_CELL_CHARS = 10_000
MAX_CSV_BYTES = 128 * 1024 * 1024
#: An .xlsx is a zip: what it declares once unpacked, how many parts, and how much they may inflate
#: (Apache POI's default zip-bomb ratio; a saved sheet's XML inflates 5-15 times).
MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024
MAX_XLSX_ENTRIES = 1000
MAX_XLSX_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024

# Invisible characters Excel and chat apps leave in cells.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    columns: tuple[str, ...]
    rows: list[Row]
    #: Spreadsheet column letters, to say "column price_cny (I)" for .xlsx files.
    letters: dict[str, str]
    #: The region whose national form the file's phones may be written in.
    phone_region: str = "CN"

    def where(self, column: str) -> str:
        letter = self.letters.get(column)
        return f"{column} ({letter})" if letter else column


def read_table(
    path: Path, required: Sequence[str], optional: Sequence[str] = (), *, phone_region: str = "CN"
) -> Table:
    """Read and check the header; raise ImportFailed for a file that cannot be read at all.

    `phone_region` is the region whose national form the file's phones may be written in.
    """
    name = str(path)
    if not path.is_file():
        raise ImportFailed([Problem(name, None, None, "no such file")])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        header, raw_rows = _read_xlsx(path, name)
    elif suffix in {".csv", ".txt", ""}:
        header, raw_rows = _read_csv(path, name)
    else:
        reason = f"unsupported file type '{suffix}': give a UTF-8 .csv file or an .xlsx workbook"
        raise ImportFailed([Problem(name, None, None, reason)])
    table = _build_table(name, header, raw_rows, required, optional, xlsx=suffix == ".xlsx")
    return replace(table, phone_region=phone_region)


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        # Spreadsheets store 12.9 and 5.0: give back what a person typed.
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).translate(_INVISIBLE).strip()


def _too_big(name: str, what: str) -> ImportFailed:
    return ImportFailed([Problem(name, None, None, f"the file is too large to import: {what}")])


def _read_csv(path: Path, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise _too_big(name, f"{size:,} bytes (at most {MAX_CSV_BYTES:,}; split it into several files)")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = "is not UTF-8 text (save it as 'CSV UTF-8' or as .xlsx)"
        raise ImportFailed([Problem(name, line, None, reason)]) from None
    del data
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            if len(record) > MAX_COLUMNS:
                raise _beyond(name, start, _column_letter(MAX_COLUMNS), "column")
            if header is None:
                header = record
            else:
                if len(rows) >= MAX_ROWS:
                    raise _beyond(name, start, None, "row")
                rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFailed([Problem(name, start, None, f"broken CSV: {exc}")]) from None
    if header is None:
        raise ImportFailed([Problem(name, None, None, "the file is empty: it needs a header row")])
    return header, rows


def _beyond(name: str, line: int, column: str | None, what: Literal["row", "column"]) -> ImportFailed:
    if what == "row":
        reason = f"the file has more than {MAX_ROWS:,} rows (split it into several files)"
    else:
        reason = (
            f"there is a value beyond column {_column_letter(MAX_COLUMNS - 1)}: at most {MAX_COLUMNS} columns"
        )
    return ImportFailed([Problem(name, line, column, reason)])


def _check_zip(path: Path, name: str) -> None:
    """Refuse a zip bomb before openpyxl inflates anything.

    zipfile never inflates an entry past the size its header declares (it fails on a mismatch), so the
    declared sizes bound what reading can cost; the ratio catches a small file that declares a lot.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        reason = f"is not a readable .xlsx workbook ({exc.__class__.__name__})"
        raise ImportFailed([Problem(name, None, None, reason)]) from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise _too_big(name, f"{len(entries):,} parts inside the workbook (at most {MAX_XLSX_ENTRIES:,})")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise _too_big(
            name,
            f"{total:,} bytes once unpacked (at most {MAX_XLSX_UNCOMPRESSED:,}; split it into several files)",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_CHECKED_ABOVE and ratio > MAX_XLSX_RATIO:
            reason = (
                f"its part {entry.filename} unpacks {ratio:,.0f} times larger than it is stored "
                f"(at most {MAX_XLSX_RATIO}): this is not a spreadsheet a person saved"
            )
            raise ImportFailed([Problem(name, None, None, reason)])


#: What openpyxl, zipfile and the XML parser raise on a damaged workbook (ParseError is a SyntaxError).
_BROKEN_WORKBOOK = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    ValueError,
    IndexError,
    TypeError,
    AttributeError,
    SyntaxError,
)


def _read_xlsx(path: Path, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook  # only imports that need it pay for it

    _check_zip(path, name)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _BROKEN_WORKBOOK as exc:
        reason = f"is not a readable .xlsx workbook ({exc.__class__.__name__})"
        raise ImportFailed([Problem(name, None, None, reason)]) from None
    try:
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, values in _sheet_rows(workbook, name):
            cells = [_clean(v) for v in values]
            if header is None:
                if any(cells):
                    header = cells
                continue
            if any(cells):
                rows.append((number, cells))
    except _BROKEN_WORKBOOK as exc:
        reason = f"is not a readable .xlsx workbook ({exc.__class__.__name__})"
        raise ImportFailed([Problem(name, None, None, reason)]) from None
    finally:
        workbook.close()
    if header is None:
        raise ImportFailed([Problem(name, None, None, "the first sheet is empty: it needs a header row")])
    return header, rows


def _sheet_rows(workbook: Any, name: str) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet's rows that hold something, as (row number, values up to the last one).

    openpyxl's own row iterator pads every row to the dimension the sheet declares and fills the gaps
    between rows, so one cell at XFD1048576 costs 17 billion cells; the sheet's XML is walked here
    instead, one cell at a time, keeping only the row in hand and refusing a value out of bounds at
    once. openpyxl still decodes each cell (shared strings, dates, numbers).
    """
    from xml.etree.ElementTree import iterparse

    from openpyxl.worksheet._reader import WorkSheetParser

    sheet = workbook.worksheets[0]
    parser = WorkSheetParser(
        None,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    rows_seen = 0
    with sheet._get_source() as source:
        stack: list[Any] = []
        values: list[Any] = []
        in_row = False
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                stack.append(element)
                if tag == "row" and len(stack) == 3:
                    in_row, values = True, []
                    parser.row_counter = int(element.get("r") or parser.row_counter + 1)
                    parser.col_counter = 0
                continue
            stack.pop()
            if in_row and tag == "c" and len(stack) == 3:
                cell = parser.parse_cell(element)
                value = cell["value"]
                if value is not None and value != "":
                    line, column = cell["row"], cell["column"]
                    if column > MAX_COLUMNS:
                        raise _beyond(name, line, _column_letter(column - 1), "column")
                    if line > MAX_ROWS + 1 or rows_seen > MAX_ROWS:
                        raise _beyond(name, line, None, "row")
                    values.extend([None] * (column - 1 - len(values)))
                    if len(values) < column:
                        values.append(value)
                    else:
                        values[column - 1] = value
            elif in_row and tag == "row" and len(stack) == 2:
                in_row = False
                if values:
                    rows_seen += 1
                    yield parser.row_counter, values
            if stack and not _inside_cell(stack):
                # Nothing outside the cell in hand is needed again: drop what ended (merged ranges,
                # column formats, finished cells and rows), so memory stays at one row however big.
                stack[-1].clear()


def _inside_cell(stack: list[Any]) -> bool:
    return len(stack) >= 4 and stack[3].tag.endswith("}c")


def _build_table(
    name: str,
    header: list[str],
    raw_rows: list[tuple[int, list[str]]],
    required: Sequence[str],
    optional: Sequence[str],
    *,
    xlsx: bool,
) -> Table:
    columns = [_clean(c).lower() for c in header]
    while columns and not columns[-1]:
        columns.pop()
    problems: list[Problem] = []
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            problems.append(Problem(name, 1, column, "this column appears twice in the header"))
        seen.add(column)
    for column in required:
        if column not in seen:
            expected = ",".join([*required, *optional])
            reason = f"the header has no '{column}' column (expected: {expected})"
            problems.append(Problem(name, 1, column, reason))
    if problems:
        raise ImportFailed(problems)

    letters = {c: _column_letter(i) for i, c in enumerate(columns)} if xlsx else {}
    rows: list[Row] = []
    for line, record in raw_rows:
        cells = [_clean(v) for v in record]
        if not any(cells):
            continue  # blank lines are not rows
        extra = [v for v in cells[len(columns) :] if v]
        if extra:
            reason = (
                f"this row has {len(columns) + len(extra)} values but the header has {len(columns)} columns"
            )
            problems.append(Problem(name, line, None, reason))
            continue
        values = {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns) if c}
        bad = [(c, why) for c, v in values.items() if v and (why := _unstorable(v))]
        for column, why in bad:
            where = f"{column} ({letters[column]})" if column in letters else column
            problems.append(Problem(name, line, where, f"{column} {why}"))
        if not bad:
            rows.append(Row(line, values))
    if problems:
        raise ImportFailed(problems)
    return Table(name, tuple(columns), rows, letters)


def _unstorable(value: str) -> str | None:
    """Why no database could store this text as it is (PostgreSQL refuses NUL; nobody needs megabytes)."""
    if len(value) > MAX_CELL_CHARS:
        return f"is {len(value):,} characters long; at most {MAX_CELL_CHARS:,} fit in a cell"
    if "\x00" in value:
        return "contains a NUL character (an invisible control code): retype the value"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a broken character (a lone surrogate): retype the value"
    return None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
