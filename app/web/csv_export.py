"""CSV downloads that are safe to open in a spreadsheet; every export goes through `csv_stream`.

Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-` or `@` (or a tab
or a carriage return) as a formula, so a value someone typed into the storefront (a company name,
a browser string, a product title from a price sheet) could run one on the reader's machine
(CSV injection, OWASP). Such a cell gets a leading single quote, which spreadsheets show as text.
Plain numbers, such as a negative amount the storefront formatted itself, are left as they are.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Iterator

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_stream(header: Iterable[str], rows: Iterable[Iterable[Any]], flush_every: int = 500) -> Iterator[str]:
    """The header, then each row with every cell made safe, as text chunks for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(value) for value in row])
        if count % flush_every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
