"""`payout-service payouts review|resolve` and `payout-service provider audit`: the operator's
tools for payouts whose fate only the provider knows.

Each opens the database and one provider client, runs its use case and prints what an operator
needs to act: plain lines, one per payout. Exit codes: 0 done, 1 something needs a person (a
resolution refused, money at risk in the audit), 2 a bad argument.
"""

from __future__ import annotations

import argparse
import getpass
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from payout_service.application.audit_provider import AuditProvider, AuditReport
from payout_service.application.errors import NotFound, ReviewNotResolved
from payout_service.application.resolve_review import (
    FlaggedPayout,
    ForcedOutcome,
    Resolution,
    ResolveReview,
)
from payout_service.domain.payout import PayoutStatus
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.provider.http_client import AiohttpProviderClient
from payout_service.infrastructure.settings import Settings

T = TypeVar("T")


class WithDatabase(Protocol):
    """cli._with_database: runs `work` on an open database, then closes it."""

    def __call__(
        self, settings: Settings, work: Callable[[SqlUnitOfWorkFactory], Awaitable[T]]
    ) -> T: ...


_DURATION = re.compile(r"([0-9]+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def payouts_command(
    settings: Settings, args: argparse.Namespace, with_database: WithDatabase
) -> int:
    if args.action == "review":
        flagged = with_database(settings, lambda uow: _review(settings, uow, args.limit))
        for item in flagged:
            print(_flagged_line(item))
        print(f"payouts needing review: {len(flagged)}")
        return 0
    if not args.payout_id:
        print("error: resolve needs a payout id")
        return 2
    if (args.outcome is None) != (args.reason is None):
        print("error: --outcome and --reason go together")
        return 2
    forced = None
    if args.outcome is not None:
        forced = ForcedOutcome(
            PayoutStatus(args.outcome), args.reason, args.operator, args.i_checked_with_the_provider
        )
    try:
        resolution = with_database(
            settings, lambda uow: _resolve(settings, uow, args.payout_id, forced)
        )
    except (NotFound, ReviewNotResolved) as refusal:
        print(f"not resolved: {refusal}")
        return 1
    payout = resolution.payout
    print(f"provider: {resolution.provider}")
    print(
        f"payout {payout.id}: {payout.status}"
        + ("" if resolution.resolved else f", still needs review: {payout.review_reason}")
    )
    return 0 if resolution.resolved else 1


def provider_command(
    settings: Settings, args: argparse.Namespace, with_database: WithDatabase
) -> int:
    try:
        since = parse_since(args.since, datetime.now(UTC))
    except ValueError as error:
        print(f"error: {error}")
        return 2
    tolerance = timedelta(
        seconds=args.tolerance_seconds or settings.provider_audit_tolerance_seconds
    )
    report = with_database(settings, lambda uow: _audit(settings, uow, since, tolerance))
    for finding in report.findings:
        p = finding.payout
        print(
            f"{finding.kind}: payout {p.id} {p.status} {p.amount.format()}"
            f" {p.amount.currency.code} (user {p.user_id}); provider: {finding.provider}"
        )
    # Every kind, found or not: a clean run says what it checked for.
    counts = ", ".join(f"{kind} {count}" for kind, count in report.counts.items())
    print(f"checked {report.checked} payouts since {since.isoformat()}", end="; ")
    print(f"unanswered {report.unanswered}")
    print(f"disagreements: {counts}")
    return 1 if report.money_at_risk else 0


def parse_since(text: str, now: datetime) -> datetime:
    """An ISO-8601 moment (UTC unless it says), or a duration back from now: 7d, 12h, 30m."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: an ISO-8601 time or a duration like 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def default_operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


async def _review(settings: Settings, uow: SqlUnitOfWorkFactory, limit: int) -> list[FlaggedPayout]:
    provider = AiohttpProviderClient.from_settings(settings)
    try:
        return list(await ResolveReview(uow, SystemClock(), provider).queue(limit))
    finally:
        await provider.close()


async def _resolve(
    settings: Settings, uow: SqlUnitOfWorkFactory, payout_id: str, forced: ForcedOutcome | None
) -> Resolution:
    provider = AiohttpProviderClient.from_settings(settings)
    try:
        return await ResolveReview(uow, SystemClock(), provider)(payout_id, forced)
    finally:
        await provider.close()


async def _audit(
    settings: Settings, uow: SqlUnitOfWorkFactory, since: datetime, tolerance: timedelta
) -> AuditReport:
    provider = AiohttpProviderClient.from_settings(settings)
    try:
        return await AuditProvider(uow, SystemClock(), provider, tolerance)(since)
    finally:
        await provider.close()


def _flagged_line(item: FlaggedPayout) -> str:
    p, last = item.payout, item.last_attempt
    since = p.review_since.isoformat() if p.review_since else "?"
    answer = "no send attempt"
    if last is not None:
        answer = (
            f"last attempt {last.result}"
            + (f" (HTTP {last.http_status})" if last.http_status else "")
            + (f": {last.error_message}" if last.error_message else "")
        )
    return (
        f"{p.id} {p.status} {p.amount.format()} {p.amount.currency.code} user {p.user_id}"
        f" since {since}: {p.review_reason}; {answer}"
    )
