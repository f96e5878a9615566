"""What the operators' commands accept (users, accounts, credits, API keys), checked before any
transaction: a bad argument is refused with one sentence naming it and what is allowed."""

from __future__ import annotations

from payout_service.application.errors import ApplicationError
from payout_service.application.payout_fields import MAX_TEXT_LENGTHS
from payout_service.domain.errors import InvalidAmount
from payout_service.domain.money import Money, currency

MAX_USER_ID = 2**63 - 1  # users.id is a signed BIGINT
MAX_USER_NAME = 255  # users.name
MAX_CREDIT_REFERENCE = 128  # account_credits.reference
MAX_KEY_PREFIX = 16  # api_keys.prefix
# The most an account may hold: user_accounts.balance_minor is a signed BIGINT.
MAX_BALANCE_MINOR = 2**63 - 1


class InvalidInput(ApplicationError):
    """An argument no command can take; the message names it and says what is allowed."""


def checked_user_id(user_id: int) -> int:
    if not 1 <= user_id <= MAX_USER_ID:
        raise InvalidInput(f"user id {user_id}: must be from 1 to {MAX_USER_ID}")
    return user_id


def checked_text(what: str, value: str, max_length: int) -> str:
    """Printable, not blank, at most `max_length` characters; kept exactly as given. No space
    around it: MariaDB compares "a" and "a " as equal, SQLite does not."""
    if not value.strip():
        raise InvalidInput(f"{what} must not be empty")
    if value != value.strip():
        raise InvalidInput(f"{what} must not begin or end with a space")
    if len(value) > max_length:
        raise InvalidInput(f"{what} must be at most {max_length} characters")
    if not value.isprintable():
        raise InvalidInput(f"{what} must contain printable characters only")
    return value


def checked_currency(code: str) -> str:
    """A code of domain.money.CURRENCIES (UnknownCurrency otherwise, naming them)."""
    return currency(code).code


def parsed_amount(text: str, code: str) -> Money:
    """A decimal string such as "150.00" in the currency's places; InvalidAmount otherwise.
    Its length is bounded first: Python refuses to read integers of thousands of digits."""
    if len(text) > MAX_TEXT_LENGTHS["amount"]:
        raise InvalidAmount(f"amount must be at most {MAX_TEXT_LENGTHS['amount']} characters")
    return Money.parse(text, code, MAX_BALANCE_MINOR)
