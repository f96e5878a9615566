"""One stop signal is enough for a worker process.

Dramatiq's worker process stops gracefully on its first SIGTERM (no new messages, the ones in
hand finished or handed back) and exits at once, abandoning them, on a second. Process managers
such as honcho (`make run`) and Heroku signal every process of the group, so a worker process
gets SIGTERM from them and again from its `dramatiq` parent, which forwards it: the second would
turn every ordinary stop into a hard one. Repeats are ignored; SIGKILL remains the hard stop.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

Handler = Callable[[int, FrameType | None], Any]


def first_stop_signal_only(*signums: signal.Signals) -> None:
    """Wraps the handlers installed for `signums` so that only the first delivery reaches them.
    Call it from the main thread of the worker process, after Dramatiq installed its handlers."""
    for signum in signums:
        installed = signal.getsignal(signum)
        if callable(installed):
            signal.signal(signum, _once(installed))


def _once(handler: Handler) -> Handler:
    delivered = False

    def first_only(signum: int, frame: FrameType | None) -> None:
        nonlocal delivered
        if not delivered:
            delivered = True
            handler(signum, frame)

    return first_only
