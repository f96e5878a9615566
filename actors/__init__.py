"""Dramatiq actors: thin, each decodes its message and calls one use case.

Start workers with `payout-service worker <queue>` (it runs `dramatiq actors.worker` with its
metrics set up); actors.worker builds the broker from the settings before the actor modules bind
to it, and each actor wraps its use case in `runtime.consumer` for its log context.
"""
