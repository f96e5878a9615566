"""The connections a unit of work's transactions run on, on MySQL/MariaDB.

Tortoise's pool keeps its connections in autocommit, so each transaction costs a `BEGIN` round
trip before its first statement. These pools keep autocommit off instead: the server starts a
transaction with a connection's first statement and ends it at COMMIT or ROLLBACK, so every
unit of work saves one round trip (5.5 per payout end to end). The isolation level and the
snapshot are the same: a `BEGIN` without WITH CONSISTENT SNAPSHOT takes its snapshot at the
first read too.

A connection goes back to its pool only with no transaction open: the unit of work ends each one,
and asyncmy's pool closes a connection released inside a transaction instead of keeping it.
Reads outside a transaction keep Tortoise's autocommit pool: on these connections a lone read
would leave a snapshot open.

One pool per Tortoise connection name, with that connection's settings (server, user, database,
statement cache, init command such as READ COMMITTED's, pool size), created on first use in the
running process and closed with the database.
"""

from __future__ import annotations

import asyncmy
from asyncmy.pool import Pool
from tortoise import Tortoise
from tortoise.backends.mysql.client import MySQLClient

_pools: dict[str, Pool] = {}


async def acquire(connection_name: str) -> asyncmy.Connection:
    return await (await open_pool(connection_name)).acquire()


def release(connection_name: str, connection: asyncmy.Connection) -> None:
    _pools[connection_name].release(connection)


async def open_pool(connection_name: str) -> Pool:
    """The connection name's pool, with its first connection open."""
    pool = _pools.get(connection_name)
    if pool is None:
        created = await _create(connection_name)
        pool = _pools.setdefault(connection_name, created)
        if pool is not created:  # another task created it while this one connected
            created.close()
            await created.wait_closed()
    return pool


async def close_all() -> None:
    pools = list(_pools.values())
    _pools.clear()
    for pool in pools:
        pool.close()
        await pool.wait_closed()


async def _create(connection_name: str) -> Pool:
    client = Tortoise.get_connection(connection_name)
    assert isinstance(client, MySQLClient), "transaction pools are for MySQL connections"
    extra = dict(client.extra)
    if "stmt_cache_size" in extra:
        extra["stmt_cache_size"] = int(extra["stmt_cache_size"])
    return await asyncmy.create_pool(
        host=client.host,
        port=client.port,
        user=client.user,
        password=client.password,
        db=client.database,
        charset=client.charset,
        minsize=client.pool_minsize,
        maxsize=client.pool_maxsize,
        **extra,
        autocommit=False,
    )
