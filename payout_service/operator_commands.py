"""`payout-service payouts review|resolve`, `provider audit` and `ledger verify`: the operator's
tools for money whose fate is in doubt.

Each opens the database (and a provider client when it asks the provider), runs its use case and
prints what an operator needs to act: plain lines, one per payout, or with --json the same facts
for scripts. Exit codes: 0 done, 1 something needs a person (a resolution refused, money at risk
in the audit, the ledger broken), 2 a bad argument.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from payout_service.application.audit_provider import AuditProvider, AuditReport
from payout_service.application.errors import NotFound, ReviewNotResolved
from payout_service.application.representation import iso, payout_representation
from payout_service.application.resolve_review import (
    FlaggedPayout,
    ForcedOutcome,
    Resolution,
    ResolveReview,
)
from payout_service.command_database import WithDatabase as WithDatabase  # account_commands'
from payout_service.command_database import with_database
from payout_service.command_tree import (
    Commands,
    add_command,
    add_group,
    add_json_option,
    print_json,
)
from payout_service.domain.payout import PayoutStatus
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.settings import Settings

if TYPE_CHECKING:
    from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
    from payout_service.infrastructure.provider.http_client import AiohttpProviderClient

# How long a payout's change may take to reach the ledger before `ledger verify` misses its entry.
LEDGER_IN_FLIGHT_SECONDS = 300
_DURATION = re.compile(r"([0-9]+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def add_operator_commands(commands: Commands) -> None:
    _add_payouts(commands)
    provider = add_group(
        commands,
        "provider",
        "compare our payouts with the provider's records",
        ["payout-service provider audit --since 7d"],
    )
    audit = add_command(
        provider,
        "audit",
        "compare every payout since a moment with the provider's record; exit 1 when money is"
        " at risk",
        [
            "payout-service provider audit --since 7d",
            "payout-service provider audit --since 2026-03-01T00:00:00Z --json",
            "payout-service provider audit --since 1d --tolerance-seconds 0",
        ],
        _provider_audit,
    )
    audit.add_argument("--since", default="7d", help="ISO-8601 time, or 7d / 12h / 30m ago")
    audit.add_argument(
        "--tolerance-seconds",
        type=int,
        default=None,
        help="how long the provider may be final before we are"
        " (default: PROVIDER_AUDIT_TOLERANCE_SECONDS)",
    )
    add_json_option(audit)
    ledger = add_group(
        commands,
        "ledger",
        "the ledger's own invariants",
        ["payout-service ledger verify"],
    )
    verify = add_command(
        ledger,
        "verify",
        "check the ledger's invariants and every payout's lines against its status; exit 1 if"
        " broken",
        [
            "payout-service ledger verify",
            "payout-service ledger verify --in-flight-seconds 0 --json",
        ],
        _ledger_verify,
    )
    verify.add_argument(
        "--in-flight-seconds",
        type=int,
        default=LEDGER_IN_FLIGHT_SECONDS,
        help="a payout that changed this recently may still have its ledger entry on its way;"
        " 0 when the service is quiet (default %(default)s)",
    )
    add_json_option(verify)


def _add_payouts(commands: Commands) -> None:
    payouts = add_group(
        commands,
        "payouts",
        "the review queue: payouts waiting for an operator",
        ["payout-service payouts review", "payout-service payouts resolve PAYOUT_ID"],
    )
    review = add_command(
        payouts,
        "review",
        "flagged payouts: why, since when, the provider's last answer",
        ["payout-service payouts review", "payout-service payouts review --limit 20 --json"],
        _payouts_review,
    )
    review.add_argument("--limit", type=int, default=100, help="payouts listed (default 100)")
    add_json_option(review)
    resolve = add_command(
        payouts,
        "resolve",
        "ask the provider about a payout and apply its answer; or force an outcome (audited)",
        [
            "payout-service payouts resolve PAYOUT_ID",
            'payout-service payouts resolve PAYOUT_ID --outcome failed --reason "ticket 123"',
        ],
        _payouts_resolve,
    )
    resolve.add_argument("payout_id", metavar="PAYOUT_ID", help="the payout")
    resolve.add_argument(
        "--outcome", choices=["success", "failed"], help="force it (with --reason)"
    )
    resolve.add_argument("--reason", help="why, kept in the audit log")
    resolve.add_argument(
        "--i-checked-with-the-provider",
        action="store_true",
        help="force an outcome although the provider's lookup did not say 'never taken'",
    )
    resolve.add_argument("--operator", default=None, help="who decides (default: $USER)")


def _payouts_review(settings: Settings, args: argparse.Namespace) -> int:
    flagged = with_database(settings, lambda uow: _review(settings, uow, args.limit))
    if args.json:
        print_json({"data": [_flagged_json(item) for item in flagged], "count": len(flagged)})
        return 0
    for item in flagged:
        print(_flagged_line(item))
    print(f"payouts needing review: {len(flagged)}")
    return 0


def _payouts_resolve(settings: Settings, args: argparse.Namespace) -> int:
    if (args.outcome is None) != (args.reason is None):
        print("error: --outcome and --reason go together", file=sys.stderr)
        return 2
    forced = None
    if args.outcome is not None:
        forced = ForcedOutcome(
            PayoutStatus(args.outcome),
            args.reason,
            args.operator or default_operator(),
            args.i_checked_with_the_provider,
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


def _provider_audit(settings: Settings, args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since, datetime.now(UTC))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    tolerance = audit_tolerance(args.tolerance_seconds, settings)
    report = with_database(settings, lambda uow: _audit(settings, uow, since, tolerance))
    if args.json:
        print_json(_audit_json(report, since, tolerance))
    else:
        _print_audit(report, since)
    return 1 if report.money_at_risk else 0


def audit_tolerance(seconds: int | None, settings: Settings) -> timedelta:
    """--tolerance-seconds when given (0 included: no tolerance at all), else the setting."""
    chosen = settings.provider_audit_tolerance_seconds if seconds is None else seconds
    return timedelta(seconds=max(chosen, 0))


def _ledger_verify(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.infrastructure.db.ledger_verification import verify_ledger

    quiet_since = SystemClock().now() - timedelta(seconds=max(args.in_flight_seconds, 0))
    report = with_database(settings, lambda uow: verify_ledger(uow, quiet_since))
    if args.json:
        print_json({**dataclasses.asdict(report), "clean": report.clean})
        return 0 if report.clean else 1
    print(
        f"accounts: {report.accounts}  postings: {report.postings}  "
        f"debits: {report.total_debits_minor}  credits: {report.total_credits_minor}"
    )
    for violation in report.violations:
        print(f"VIOLATION: {violation}")
    print("ledger clean" if report.clean else f"ledger violations: {len(report.violations)}")
    return 0 if report.clean else 1


def parse_since(text: str, now: datetime) -> datetime:
    """An ISO-8601 moment (UTC unless it says), or a duration back from now: 7d, 12h, 30m."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        try:
            return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
        except OverflowError:
            raise ValueError(f"--since {text!r}: too far back") from None
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
    provider = _provider_client(settings)
    try:
        return list(await ResolveReview(uow, SystemClock(), provider).queue(limit))
    finally:
        await provider.close()


async def _resolve(
    settings: Settings, uow: SqlUnitOfWorkFactory, payout_id: str, forced: ForcedOutcome | None
) -> Resolution:
    provider = _provider_client(settings)
    try:
        return await ResolveReview(uow, SystemClock(), provider)(payout_id, forced)
    finally:
        await provider.close()


async def _audit(
    settings: Settings, uow: SqlUnitOfWorkFactory, since: datetime, tolerance: timedelta
) -> AuditReport:
    provider = _provider_client(settings)
    try:
        return await AuditProvider(uow, SystemClock(), provider, tolerance)(since)
    finally:
        await provider.close()


def _provider_client(settings: Settings) -> AiohttpProviderClient:
    from payout_service.infrastructure.provider.http_client import AiohttpProviderClient

    return AiohttpProviderClient.from_settings(settings)


def _print_audit(report: AuditReport, since: datetime) -> None:
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


def _audit_json(report: AuditReport, since: datetime, tolerance: timedelta) -> dict[str, Any]:
    return {
        "since": iso(since),
        "tolerance_seconds": int(tolerance.total_seconds()),
        "checked": report.checked,
        "unanswered": report.unanswered,
        "counts": report.counts,
        "money_at_risk": report.money_at_risk,
        "findings": [
            {
                "kind": str(finding.kind),
                "provider": finding.provider,
                "payout": payout_representation(finding.payout),
            }
            for finding in report.findings
        ],
    }


def _flagged_json(item: FlaggedPayout) -> dict[str, Any]:
    p, last = item.payout, item.last_attempt
    return {
        "payout": payout_representation(p),
        "review_reason": p.review_reason,
        "review_since": iso(p.review_since),
        "last_attempt": None
        if last is None
        else {
            "result": str(last.result),
            "http_status": last.http_status,
            "error_type": last.error_type,
            "error_message": last.error_message,
        },
    }


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
