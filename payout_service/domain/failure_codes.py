"""Why a payout did not pay, or paid and came back: one code a client can act on.

The codes are modelled on Stripe's payout failure codes, plus three of ours. A provider's code is
mapped by name; a code we do not know becomes `could_not_process`, its raw text kept in the
message, so nothing the provider said is lost. `message` is for people (a client may show it to
its user); the technical detail of what went wrong stays in the payout's last_error.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FailureCode(StrEnum):
    ACCOUNT_CLOSED = "account_closed"
    ACCOUNT_FROZEN = "account_frozen"
    BANK_ACCOUNT_RESTRICTED = "bank_account_restricted"
    BANK_OWNERSHIP_CHANGED = "bank_ownership_changed"
    COULD_NOT_PROCESS = "could_not_process"
    DEBIT_NOT_AUTHORIZED = "debit_not_authorized"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"  # the provider's, not the user's balance here
    INVALID_ACCOUNT_NUMBER = "invalid_account_number"
    INVALID_CURRENCY = "invalid_currency"
    NO_ACCOUNT = "no_account"
    UNSUPPORTED_CARD = "unsupported_card"
    # Ours: the provider refused the send, sending gave up, the client cancelled.
    PROVIDER_REJECTED = "provider_rejected"
    SEND_GAVE_UP = "send_gave_up"
    CANCELLED_BY_CLIENT = "cancelled_by_client"


MESSAGES: dict[FailureCode, str] = {
    FailureCode.ACCOUNT_CLOSED: "The bank account has been closed.",
    FailureCode.ACCOUNT_FROZEN: "The bank account has been frozen.",
    FailureCode.BANK_ACCOUNT_RESTRICTED: "The bank account has restrictions on payouts.",
    FailureCode.BANK_OWNERSHIP_CHANGED: "The bank account's owner has changed.",
    FailureCode.COULD_NOT_PROCESS: "The bank could not process this payout.",
    FailureCode.DEBIT_NOT_AUTHORIZED: "The bank did not authorize this transfer.",
    FailureCode.DECLINED: "The bank declined this payout.",
    FailureCode.INSUFFICIENT_FUNDS: "The provider's funds were insufficient to make the payout.",
    FailureCode.INVALID_ACCOUNT_NUMBER: "The account number is invalid.",
    FailureCode.INVALID_CURRENCY: "The bank account cannot receive this currency.",
    FailureCode.NO_ACCOUNT: "The bank account does not exist.",
    FailureCode.UNSUPPORTED_CARD: "The card does not support payouts.",
    FailureCode.PROVIDER_REJECTED: "The payment provider refused this payout.",
    FailureCode.SEND_GAVE_UP: "The payout could not be delivered to the payment provider.",
    FailureCode.CANCELLED_BY_CLIENT: "The payout was cancelled before it was sent.",
}

# The longest provider code kept as sent (webhook validation and the inbox's column).
MAX_PROVIDER_CODE_LENGTH = 64

OURS = frozenset(
    {FailureCode.PROVIDER_REJECTED, FailureCode.SEND_GAVE_UP, FailureCode.CANCELLED_BY_CLIENT}
)
# The codes a provider may report (modelled on Stripe's): the enum without ours.
PROVIDER_CODES = tuple(code for code in FailureCode if code not in OURS)


@dataclass(frozen=True, slots=True)
class Failure:
    code: FailureCode
    message: str

    @classmethod
    def of(cls, code: FailureCode) -> Failure:
        return cls(code, MESSAGES[code])


def provider_failure(raw: str | None) -> Failure:
    """The code of a provider's report of a failure or a return: known by name, else
    could_not_process with the raw code in the message."""
    return _mapped(raw, FailureCode.COULD_NOT_PROCESS)


def refusal_failure(raw: str | None) -> Failure:
    """The error code of a send the provider refused: known by name, else provider_rejected with
    the raw code in the message."""
    return _mapped(raw, FailureCode.PROVIDER_REJECTED)


_PROVIDER_NAMES = frozenset(str(code) for code in PROVIDER_CODES)


def _mapped(raw: str | None, otherwise: FailureCode) -> Failure:
    if raw in _PROVIDER_NAMES:
        return Failure.of(FailureCode(raw))
    said = f" (the provider's code: {raw})" if raw else ""
    return Failure(otherwise, MESSAGES[otherwise] + said)
