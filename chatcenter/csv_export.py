"""Every CSV the product writes goes through here, so that a spreadsheet program opens it safely."""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

# Excel, LibreOffice and Google Sheets run a cell that starts with one of these as a formula; names come
# from users and marketplaces, so `=HYPERLINK(...)` in a cabinet name would otherwise become a live link.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV as UTF-8 only when it starts with the byte-order mark (else Russian comes out garbled).
BYTE_ORDER_MARK = "\ufeff"


class _Echo:
    """A file that hands back what it is given: csv.writer then returns each row as text."""

    def write(self, value: str) -> str:
        return value


def _text_if_formula(value: Any) -> Any:
    """The value, with a string that would start a formula turned into text by a leading quote (numbers,
    negative ones included, stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_lines(*, header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text of the header and `rows`, one string per row (lazily, so a long export can stream),
    after the byte-order mark; None is an empty cell."""
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow(header)
    for row in rows:
        yield writer.writerow([_text_if_formula(value) for value in row])
