"""How `payout-service batch` shows a batch in a terminal: a progress bar while it is sent, a
summary table, and a refused file's problems by the row a spreadsheet shows them on."""

from __future__ import annotations

import csv
import io
import time
from typing import IO, Any

from payout_service.application.read_payout_batches import CountedBatch
from payout_service.application.representation import batch_representation
from payout_service.domain.payout import PayoutStatus

# Away from a terminal (a log, a pipe) the progress is a line this often, not a redrawn bar.
PROGRESS_LINE_SECONDS = 5.0
BAR_WIDTH = 30


class ProgressBar:
    """The batch's items with the provider or ended, out of all: on a terminal one line redrawn
    in place; elsewhere a line every PROGRESS_LINE_SECONDS, and the last state on close()."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._in_place = stream.isatty()
        self._started = time.monotonic()
        self._written_at: float | None = None
        self._shown = self._written = ""

    def show(self, counted: CountedBatch) -> None:
        now = time.monotonic()
        self._shown = _progress_text(counted, now - self._started)
        if self._in_place:
            self._write("\r" + self._shown.ljust(len(self._written)), self._shown)
        elif self._written_at is None or now - self._written_at >= PROGRESS_LINE_SECONDS:
            self._write(self._shown + "\n", self._shown)
            self._written_at = now

    def close(self) -> None:
        if self._in_place and self._written:
            self._write("\n", self._written)
        elif not self._in_place and self._shown != self._written:
            self._write(self._shown + "\n", self._shown)

    def _write(self, text: str, line: str) -> None:
        self._stream.write(text)
        self._stream.flush()
        self._written = line


def _progress_text(counted: CountedBatch, elapsed: float) -> str:
    total = counted.batch.item_count
    sent = total - counted.counts.get(PayoutStatus.PENDING, 0)
    ended = sum(n for status, n in counted.counts.items() if status.is_final)
    filled = BAR_WIDTH * sent // total if total else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    return f"[{bar}] {sent}/{total} sent, {ended} ended  {elapsed:.0f} s"


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
