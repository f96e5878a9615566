"""A client's webhook endpoint for bench.outgoing_webhooks, in a process of its own:

    python -m bench.harness.webhook_receiver PORT

POST /hooks answers 200 and keeps, for each event, its receipt latency: now - the event's
`created_at` (stamped in the transaction of the change, just before its commit: the figure is
commit → receipt plus the commit itself, a little pessimistic). GET /stats answers
{"received": n, "latencies_ms": [...]}; POST /reset forgets them.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime

from aiohttp import web


class Receipts:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []

    async def hook(self, request: web.Request) -> web.Response:
        event = json.loads(await request.read())
        if "created_at" in event:
            created = datetime.fromisoformat(event["created_at"]).timestamp()
            self.latencies_ms.append((time.time() - created) * 1000)
        return web.Response(status=200)

    async def stats(self, request: web.Request) -> web.Response:
        body = {"received": len(self.latencies_ms), "latencies_ms": self.latencies_ms}
        return web.json_response(body)

    async def reset(self, request: web.Request) -> web.Response:
        self.latencies_ms = []
        return web.Response(status=204)


def main() -> None:
    receipts = Receipts()
    app = web.Application()
    app.router.add_post("/hooks", receipts.hook)
    app.router.add_get("/stats", receipts.stats)
    app.router.add_post("/reset", receipts.reset)
    print("receiver serving", flush=True)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
