"""Dramatiq actors: thin, each decodes its message and calls one use case.

Start workers with `dramatiq actors.worker --queues <queue>`; actors.worker builds the broker
from the settings before the actor modules bind to it.
"""
