"""Read entity import files (CSV with a header row, or JSON Lines) as numbered raw rows.

Rows are streamed, never loaded whole. Each row is ``(line_number, mapping)`` where the
line number is the 1-based physical line the record starts on (the CSV header is line 1).
A line that is not a record at all (invalid JSON, too many CSV fields) is still yielded,
with the message under ``ROW_ERROR_KEY``, so the importer reports it with its line number.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal

from codeid.entities.data import ENTITY_FIELDS, REQUIRED_FIELDS
from codeid.entities.errors import ImportFormatError

RowFormat = Literal["csv", "jsonl"]
Row = tuple[int, dict[str, Any]]
ROW_ERROR_KEY = "__row_error__"
_BOM = "\ufeff"
_EXTENSIONS: dict[str, RowFormat] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_entity_rows(path: Path) -> Iterator[Row]:
    """Rows of a UTF-8 file (BOM tolerated). The format comes from the extension (.csv,
    .jsonl, .ndjson), otherwise from the first non-blank character (``{`` means JSON Lines)."""
    fmt = _EXTENSIONS.get(path.suffix.lower()) or _sniff(path)
    # newline="" lets the csv module see quoted line breaks; harmless for JSON Lines.
    with path.open(encoding="utf-8-sig", newline="") as stream:
        yield from read_entity_stream(stream, fmt)


def _sniff(path: Path) -> RowFormat:
    try:
        with path.open(encoding="utf-8-sig") as stream:
            for line in stream:
                if line.strip():
                    return "jsonl" if line.lstrip().startswith("{") else "csv"
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path.name} is not UTF-8 text: {exc.reason}") from None
    raise ImportFormatError(f"{path.name} is empty")


def read_entity_stream(stream: IO[str], fmt: str) -> Iterator[Row]:
    """Rows of an open text stream in the given format ("csv", "jsonl" or "ndjson")."""
    if fmt not in ("csv", "jsonl", "ndjson"):
        raise ImportFormatError(f"unknown import format {fmt!r}; use csv or jsonl")
    rows = _csv_rows(stream) if fmt == "csv" else _jsonl_rows(stream)
    try:
        yield from rows
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"the file is not UTF-8 text: {exc.reason}") from None


def _csv_rows(stream: IO[str]) -> Iterator[Row]:
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFormatError("the CSV file is empty; expected a header row") from None
    columns = _check_header(header)
    width = len(columns)
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, {ROW_ERROR_KEY: f"not a valid CSV record: {exc}"}
            continue
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # blank line
        row = dict(zip(columns, values, strict=False))
        if len(values) > width:
            # The named fields stay, so the report can show the row's USCC.
            row[ROW_ERROR_KEY] = f"row has {len(values)} fields, the header has {width}"
        # Missing trailing fields are treated as empty, as csv.DictReader does.
        yield start, row


def _check_header(header: list[str]) -> list[str]:
    columns = [name.strip().lstrip(_BOM).strip().lower() for name in header]
    unknown = [name for name in columns if name not in ENTITY_FIELDS]
    if unknown:
        raise ImportFormatError(
            f"unknown CSV column(s): {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(ENTITY_FIELDS)}",
            columns=unknown,
        )
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise ImportFormatError(f"the CSV header lacks column(s): {', '.join(missing)}")
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        raise ImportFormatError(f"the CSV header repeats column(s): {', '.join(duplicated)}")
    return columns


def _jsonl_rows(stream: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(stream, start=1):
        if number == 1:
            line = line.lstrip(_BOM)
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, {ROW_ERROR_KEY: f"not valid JSON: {exc.msg} (column {exc.colno})"}
            continue
        if not isinstance(value, dict):
            yield number, {ROW_ERROR_KEY: f"expected a JSON object, got {type(value).__name__}"}
            continue
        yield number, value
