"""A payout batch as finance teams write it: CSV with a header row naming the columns.

`amount,currency,wallet,external_reference` (any order, any case, surrounding spaces ignored);
RFC 4180 quoting; UTF-8 with or without a byte-order mark (spreadsheets add one). Each row
becomes an item as the JSON API takes it; a row with a wrong number of fields becomes an item
its check reports (application.batch_items), so the answer names it by index like any other.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from payout_service.application.batch_items import ITEM_FIELDS, UnreadableRow


class CsvUnreadable(ValueError):
    """Not a batch CSV at all: not UTF-8, no header row, or a header without the columns."""


def items_from_csv(raw: bytes) -> list[Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvUnreadable(f"the CSV is not UTF-8: {exc}") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CsvUnreadable(f"the CSV cannot be read: {exc}") from None
    if not rows:
        raise CsvUnreadable(f"the CSV has no header row ({','.join(ITEM_FIELDS)})")
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in ITEM_FIELDS if name not in header]
    if missing:
        raise CsvUnreadable(
            f"the header row lacks {', '.join(missing)}; expected {','.join(ITEM_FIELDS)}"
        )
    items: list[Any] = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue  # blank lines, as spreadsheets leave at the end
        if len(row) != len(header):
            items.append(
                UnreadableRow(f"a row of {len(row)} fields under a header of {len(header)}")
            )
            continue
        items.append({name: cell.strip() for name, cell in zip(header, row, strict=True)})
    return items
