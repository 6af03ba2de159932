"""Rows of a shop's data file (UTF-8 CSV or the first sheet of an .xlsx), each with its line number."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.importing.problems import ImportFailed, Problem

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

    def where(self, column: str) -> str:
        letter = self.letters.get(column)
        return f"{column} ({letter})" if letter else column


def read_table(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Read and check the header; raise ImportFailed for a file that cannot be read at all."""
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
    return _build_table(name, header, raw_rows, required, optional, xlsx=suffix == ".xlsx")


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        # Spreadsheets store 12.9 and 5.0: give back what a person typed.
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).translate(_INVISIBLE).strip()


def _read_csv(path: Path, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = "is not UTF-8 text (save it as 'CSV UTF-8' or as .xlsx)"
        raise ImportFailed([Problem(name, line, None, reason)]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            if header is None:
                header = record
            else:
                rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFailed([Problem(name, start, None, f"broken CSV: {exc}")]) from None
    if header is None:
        raise ImportFailed([Problem(name, None, None, "the file is empty: it needs a header row")])
    return header, rows


def _read_xlsx(path: Path, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook  # only imports that need it pay for it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        reason = f"is not a readable .xlsx workbook ({exc.__class__.__name__})"
        raise ImportFailed([Problem(name, None, None, reason)]) from None
    try:
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_clean(v) for v in values]
            if header is None:
                if any(cells):
                    header = cells
                continue
            rows.append((number, cells))
    finally:
        workbook.close()
    if header is None:
        raise ImportFailed([Problem(name, None, None, "the first sheet is empty: it needs a header row")])
    return header, rows


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
        rows.append(Row(line, values))
    if problems:
        raise ImportFailed(problems)
    return Table(name, tuple(columns), rows, letters)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
