"""How `payout-service batch` shows a batch in a terminal: its progress while it is sent, a
summary table, and a refused file's problems by the row a spreadsheet shows them on."""

from __future__ import annotations

import csv
import io
from typing import Any

from payout_service.application.read_payout_batches import CountedBatch
from payout_service.application.representation import batch_representation
from payout_service.domain.payout import PayoutStatus


def sent_progress(counted: CountedBatch) -> tuple[int, int, str]:
    """For progress_bar.ProgressBar.show: the items with the provider or ended, out of all."""
    total = counted.batch.item_count
    sent = total - counted.counts.get(PayoutStatus.PENDING, 0)
    ended = sum(n for status, n in counted.counts.items() if status.is_final)
    return sent, total, f"sent, {ended} ended"


def summary_lines(counted: CountedBatch) -> list[str]:
    shown = batch_representation(counted.batch, counted.counts)
    counts = dict(shown["counts"])
    total = str(counts.pop("total"))
    lines = [
        f"batch   {shown['id']}",
        f"status  {shown['status']}  (mode {shown['mode']}, created {shown['created_at']})",
        "",
        *_table(["items", "count"], [*([k, str(n)] for k, n in counts.items()), ["total", total]]),
        "",
    ]
    totals = [[t["currency"], str(t["count"]), t["amount"]] for t in shown["totals"]]
    return lines + _table(["currency", "items", "amount"], totals)


def error_table(errors: list[dict[str, Any]], file_rows: list[int]) -> list[str]:
    """`errors` as the API shows them (ItemError.as_dict), each with its item's file row."""

    def row_of(index: int) -> int:
        return file_rows[index] if index < len(file_rows) else index + 2

    rows = [
        [str(row_of(e["index"])), str(e["index"]), e["field"] or "-", e["message"]] for e in errors
    ]
    return _table(["row", "item", "field", "problem"], rows)


def file_rows(raw: bytes) -> list[int]:
    """Each item's row in the file as a spreadsheet numbers it, the header row 1: blank rows,
    which items_from_csv skips, still count."""
    records = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    return [n for n, record in enumerate(records, 1) if n > 1 and any(c.strip() for c in record)]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
