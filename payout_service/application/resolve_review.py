"""The operator's review queue: payouts flagged needs_review, and settling them.

`queue` lists them with why, since when and the provider's last answer to a send. `resolve`
asks the provider about one (application.provider_lookup) and applies its word: its record is
adopted (a final status ends the payout and the review; a return is applied as the success it
followed, then the return); "never taken" fails a payout that no
send can still reach, releasing its funds. An operator may force an outcome (success or failed)
with a reason only when the provider answered that it never took the payout, or when the
operator says they checked with the provider themselves; the decision is written as the
payout.review_resolved event, with the operator's name and reason, which the audit log keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from payout_service.application.errors import NotFound, ReviewNotResolved
from payout_service.application.ports import (
    Clock,
    ProviderClient,
    SendAttemptOutcome,
    UnitOfWorkFactory,
)
from payout_service.application.provider_lookup import (
    LookupAnswer,
    adopt_record,
    ask_provider,
    unchanged_since,
)
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.payout import Payout, PayoutStatus

FORCEABLE = frozenset({PayoutStatus.SUCCESS, PayoutStatus.FAILED})


@dataclass(frozen=True, slots=True)
class FlaggedPayout:
    payout: Payout
    last_attempt: SendAttemptOutcome | None


@dataclass(frozen=True, slots=True)
class Resolution:
    payout: Payout  # as it is after the resolution
    provider: str  # what the provider said about it
    resolved: bool  # the review flag is cleared


@dataclass(frozen=True, slots=True)
class ForcedOutcome:
    outcome: PayoutStatus
    reason: str
    operator: str
    checked_with_provider: bool


class ResolveReview:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, provider: ProviderClient) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider

    async def queue(self, limit: int) -> Sequence[FlaggedPayout]:
        async with self._uow() as uow:
            flagged = await uow.payouts.needing_review(limit)
            return [FlaggedPayout(p, await uow.send_attempts.last_outcome(p.id)) for p in flagged]

    async def __call__(self, payout_id: str, forced: ForcedOutcome | None = None) -> Resolution:
        async with self._uow() as uow:
            if await uow.payouts.get(payout_id) is None:
                raise NotFound(f"payout {payout_id} not found")
            seen = len(await uow.send_attempts.results(payout_id))
        lookup = await ask_provider(self._provider, payout_id)
        headers = {"operator": forced.operator} if forced else {}
        now = self._clock.now()
        async with self._uow(headers) as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            assert payout is not None
            quiet = unchanged_since(seen, await uow.send_attempts.results(payout_id))
            if forced is not None:
                _refuse_unless_allowed(payout, forced, lookup.answer, quiet, lookup.describe())
                payout.resolve_review(forced.outcome, forced.reason, forced.operator, now)
                await uow.payouts.update(payout)
            elif lookup.answer is LookupAnswer.RECORD:
                await adopt_record(uow, lookup, now, history=True)
            elif lookup.answer is LookupAnswer.NEVER_TAKEN and _unreachable_by_sends(payout, quiet):
                if payout.status is PayoutStatus.PENDING:
                    payout.start_processing(now)
                payout.fail(
                    Failure.of(FailureCode.SEND_GAVE_UP), f"resolved: {lookup.describe()}", now
                )
                await uow.payouts.update(payout)
            await uow.commit()
        async with self._uow() as uow:
            after = await uow.payouts.get(payout_id)
        assert after is not None
        return Resolution(after, lookup.describe(), not after.needs_review)


def _unreachable_by_sends(payout: Payout, quiet: bool) -> bool:
    """Flagged (so sending stopped), not sent to the provider's knowledge, no attempt since."""
    return payout.needs_review and payout.awaits_sending and quiet


def _refuse_unless_allowed(
    payout: Payout, forced: ForcedOutcome, answer: LookupAnswer, quiet: bool, said: str
) -> None:
    if forced.outcome not in FORCEABLE:
        raise ReviewNotResolved(f"an operator may force success or failed, not {forced.outcome}")
    if not forced.reason.strip():
        raise ReviewNotResolved("say why: --reason is required with --outcome")
    if not payout.needs_review:
        raise ReviewNotResolved(f"payout {payout.id} is not waiting for a review")
    if not quiet:
        raise ReviewNotResolved(f"payout {payout.id} is being sent right now; ask again later")
    if forced.outcome is PayoutStatus.SUCCESS and not forced.checked_with_provider:
        raise ReviewNotResolved(
            f"{said}: success may be forced only with --i-checked-with-the-provider (it debits"
            " the user for a payment only the provider can confirm)"
        )
    if answer is not LookupAnswer.NEVER_TAKEN and not forced.checked_with_provider:
        raise ReviewNotResolved(
            f"{said}: an outcome may be forced only when the provider has no record of the"
            " payout, or with --i-checked-with-the-provider"
        )
    final_other = payout.status.is_final and payout.status is not forced.outcome
    if final_other or (
        forced.outcome is PayoutStatus.SUCCESS and payout.status is PayoutStatus.PENDING
    ):
        raise ReviewNotResolved(
            f"payout {payout.id} is {payout.status}: it cannot become {forced.outcome}"
        )
