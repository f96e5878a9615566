"""Which asyncio event loop the service's processes run: uvloop's where it is installed.

The web server and the workers' loops (Dramatiq's AsyncIO middleware runs one per worker process,
in its own thread) carry every database round trip and provider call; uvloop does a loop's turn,
and a socket's read and write, in C. It is optional off Linux, where asyncio's own loop runs.
"""

from __future__ import annotations

import asyncio


def use_uvloop() -> None:
    """Makes every event loop created from now on in this process a uvloop loop, if it can."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
