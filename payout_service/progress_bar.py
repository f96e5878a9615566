"""How a long command shows it is getting on: a bar on stderr, so stdout keeps only its answer.

`[##########....................] 150/450 published  4 s`: on a terminal one line redrawn in
place; elsewhere (a log, a pipe) a line every PROGRESS_LINE_SECONDS, and the last state when
the work ends, so a log still says how far it got.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import IO

PROGRESS_LINE_SECONDS = 5.0
BAR_WIDTH = 30


class ProgressBar:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._in_place = stream.isatty()
        self._started = time.monotonic()
        self._written_at: float | None = None
        self._shown = self._written = ""

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def show(self, done: int, total: int, detail: str) -> None:
        """`done` of `total` (a total of 0 shows a full bar), then `detail`: "sent, 12 ended"."""
        now = time.monotonic()
        filled = BAR_WIDTH * min(done, total) // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self._shown = f"[{bar}] {done}/{total} {detail}  {now - self._started:.0f} s"
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
