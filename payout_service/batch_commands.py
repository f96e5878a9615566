"""`payout-service batch submit|status`: a finance team's CSV of payouts, submitted by an
operator acting for the paying user, then followed until the provider has every item.

`submit` reads the file as the API reads a text/csv batch (application.batch_csv) and creates the
batch through CreatePayoutBatch under an Idempotency-Key made of the file's bytes and the mode:
the same file submitted again replays the first answer and pays nothing twice (once the key has
expired, IDEMPOTENCY_KEY_TTL_HOURS, the items' external_reference values, already used, still
refuse it). Its outbox rows go out with the relay's next pass. Then it polls the batch, a progress
bar on stderr, until no item is `pending` any more, and prints the batch's summary on stdout.

Exit codes: 0 done; 1 nothing created (the file unreadable, the batch refused: every item's
problems as a table) or no such batch; 124 items still pending at --timeout; 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import signal
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from payout_service.application.batch_csv import CsvUnreadable, items_from_csv
from payout_service.application.create_payout_batch import (
    BatchRejected,
    CreateBatchCommand,
)
from payout_service.application.errors import ApplicationError, NotFound
from payout_service.application.idempotency import request_fingerprint
from payout_service.application.read_payout_batches import CountedBatch, ReadPayoutBatches
from payout_service.application.representation import batch_representation
from payout_service.batch_display import error_table, file_rows, sent_progress, summary_lines
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.payout_batch import BatchMode, BatchStatus
from payout_service.infrastructure.settings import Settings
from payout_service.progress_bar import ProgressBar

if TYPE_CHECKING:
    from payout_service.command_database import WithDatabase
    from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

NOT_CREATED = 1
POLL_SECONDS = 0.5


class Ending(IntEnum):
    """How following a batch ended: its value is the command's exit code."""

    SENT = 0  # no item pending: each is with the provider or ended
    TIMED_OUT = 124
    INTERRUPTED = 130


_SUBMIT_HELP = """\
FILE.csv has a header row naming amount,currency,wallet,external_reference (any order; quoted
fields and a byte-order mark are fine); each further row is one payout.

example:
  payout-service batch submit march-sellers.csv --user 123 --mode per_item
    batch 0192...-... created: 248 of 250 items (per_item)
    [##############################] 248/248 sent, 12 ended  9 s
    then the batch's status, its items by status and its totals per currency

The same file submitted again replays the first answer: the batch is not created twice.
exit codes: 0 done, 1 nothing created (a refused batch lists each item's problems with its
row in the file), 124 items still pending at --timeout, 130 interrupted (the batch goes on)"""

_STATUS_HELP = """\
example:
  payout-service batch status 0192...-...
  payout-service batch status 0192...-... --json    # as GET /api/payout-batches/{id}"""

_EXAMPLES = """\
examples:
  payout-service batch submit march-sellers.csv --user 123 --mode per_item
  payout-service batch status 0192...-... --json
`batch submit --help` describes the CSV file and the exit codes."""


def add_batch_arguments(batch: argparse.ArgumentParser) -> None:
    """`batch submit` and `batch status`, with their help and examples."""
    batch.epilog = _EXAMPLES
    batch.formatter_class = argparse.RawDescriptionHelpFormatter
    actions = batch.add_subparsers(dest="action", required=True, metavar="ACTION")
    submit_help = "create a batch from a CSV file as user ID, then wait until it is sent"
    submit = actions.add_parser(
        "submit",
        help=submit_help,
        description=submit_help,
        epilog=_SUBMIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    submit.add_argument("file", metavar="FILE.csv", help="a header row, then one payout a row")
    submit.add_argument(
        "--user", type=int, required=True, metavar="ID", help="the paying user (you act for it)"
    )
    submit.add_argument(
        "--mode",
        choices=[str(mode) for mode in BatchMode],
        default=str(BatchMode.ALL_OR_NOTHING),
        help="all_or_nothing: one bad item refuses the batch; per_item: the good ones are created"
        " (default %(default)s)",
    )
    submit.add_argument(
        "--no-wait", action="store_true", help="print the batch's status at once, do not wait"
    )
    submit.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="stop waiting after this many seconds (default %(default)g)",
    )
    status_help = "a batch's status, its items by status and its totals per currency"
    status = actions.add_parser(
        "status",
        help=status_help,
        description=status_help,
        epilog=_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("batch_id", metavar="ID", help="the batch's id")
    status.add_argument("--json", action="store_true", help="the API's representation of it")


def batch_command(settings: Settings, args: argparse.Namespace, with_database: WithDatabase) -> int:
    if args.action == "status":
        return _status(settings, args.batch_id, args.json, with_database)
    try:
        return _submit(settings, args, with_database)
    except KeyboardInterrupt:
        print(
            "interrupted before the batch was known to be created: submit the same file again"
            " to find out (it pays nothing twice)",
            file=sys.stderr,
        )
        return Ending.INTERRUPTED


def _submit(settings: Settings, args: argparse.Namespace, with_database: WithDatabase) -> int:
    from payout_service.bootstrap import build_create_payout_batch

    mode = BatchMode(args.mode)
    try:
        raw = Path(args.file).read_bytes()
        items = items_from_csv(raw)
    except (OSError, CsvUnreadable) as error:
        print(f"nothing created: {error}", file=sys.stderr)
        return NOT_CREATED
    digest = hashlib.sha256(f"{mode}\n".encode() + raw).hexdigest()
    command = CreateBatchCommand(
        caller_user_id=args.user,
        idempotency_key=f"cli-batch-{digest}",
        # The key names the file and the mode already: a replay's fingerprint always matches.
        fingerprint=request_fingerprint("POST", "/api/payout-batches", {"cli_batch": digest}),
        mode=mode,
        items=items,
    )

    async def work(uow: SqlUnitOfWorkFactory) -> int:
        try:
            result = await build_create_payout_batch(settings, uow)(command)
        except BatchRejected as refused:
            print(f"batch refused: {refused}")
            errors = [e.as_dict() for e in refused.errors]
            print("\n".join(error_table(errors, file_rows(raw))))
            return NOT_CREATED
        except ApplicationError as refused:
            print(f"batch refused: {refused}", file=sys.stderr)
            return NOT_CREATED
        answer = json.loads(result.body)
        batch_id = str(answer["id"])
        if result.replayed:
            print(f"batch {batch_id} was already submitted from this file: nothing new created")
        else:
            created = answer["counts"]["total"]
            print(f"batch {batch_id} created: {created} of {len(items)} items ({mode})")
        if answer["errors"]:
            print(f"items not created: {answer['rejected_count']}")
            print("\n".join(error_table(answer["errors"], file_rows(raw))))
        sys.stdout.flush()
        read = ReadPayoutBatches(uow)
        if args.no_wait:
            counted, ending = await read.get(args.user, batch_id), Ending.SENT
        else:
            counted, ending = await _follow(read, args.user, batch_id, args.timeout)
        print("\n".join(summary_lines(counted)))
        if ending is not Ending.SENT:
            why = "stopped waiting" if ending is Ending.INTERRUPTED else "items still pending"
            print(
                f"{why}: batch {batch_id} goes on; `payout-service batch status {batch_id}`",
                file=sys.stderr,
            )
        return ending

    return with_database(settings, work)


def _status(settings: Settings, batch_id: str, as_json: bool, with_database: WithDatabase) -> int:
    async def work(uow: SqlUnitOfWorkFactory) -> CountedBatch:
        # An operator reads any user's batch: its owner is looked up first.
        async with uow() as tx:
            batch = await tx.batches.get(batch_id)
        if batch is None:
            raise NotFound(f"payout batch {batch_id} not found")
        return await ReadPayoutBatches(uow).get(batch.user_id, batch_id)

    try:
        counted = with_database(settings, work)
    except NotFound as missing:
        print(str(missing), file=sys.stderr)
        return NOT_CREATED
    if as_json:
        print(json.dumps(batch_representation(counted.batch, counted.counts), indent=2))
    else:
        print("\n".join(summary_lines(counted)))
    return 0


async def _follow(
    read: ReadPayoutBatches, user_id: int, batch_id: str, timeout: float
) -> tuple[CountedBatch, Ending]:
    """Polls the batch until no item is pending (or the batch is final), `timeout` seconds pass
    or Ctrl-C; the batch goes on whatever ends the wait."""
    loop = asyncio.get_running_loop()
    interrupted = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, interrupted.set)
    deadline = loop.time() + timeout
    bar = ProgressBar(sys.stderr)
    try:
        while True:
            counted = await read.get(user_id, batch_id)
            bar.show(*sent_progress(counted))
            if _all_sent(counted):
                return counted, Ending.SENT
            if interrupted.is_set():
                return counted, Ending.INTERRUPTED
            if loop.time() >= deadline:
                return counted, Ending.TIMED_OUT
            with contextlib.suppress(TimeoutError):
                pause = min(POLL_SECONDS, max(deadline - loop.time(), 0.0))
                await asyncio.wait_for(interrupted.wait(), pause)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        bar.close()


def _all_sent(counted: CountedBatch) -> bool:
    pending = counted.counts.get(PayoutStatus.PENDING, 0)
    return pending == 0 or counted.batch.status is not BatchStatus.PROCESSING
