"""Money as an integer of minor units in a registered currency; never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass

from payout_service.domain.errors import InvalidAmount, UnknownCurrency


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO-style code and how many decimal places its minor unit has."""

    code: str
    exponent: int


# One registry: every amount is parsed and formatted through these exponents.
CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("USD", 2),
        Currency("EUR", 2),
        Currency("GBP", 2),
        Currency("JPY", 0),
        Currency("USDT", 6),
    )
}

MAX_AMOUNT_TEXT = 64  # characters of an amount's decimal string
_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")


def currency(code: str) -> Currency:
    try:
        return CURRENCIES[code]
    except KeyError:
        raise UnknownCurrency(
            f"unknown currency {code!r}; known: {', '.join(CURRENCIES)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Money:
    """A positive or zero count of minor units (cents, yen, micro-USDT) of one currency."""

    minor: int
    currency: Currency

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise InvalidAmount("money is an integer of minor units")

    @classmethod
    def parse(cls, text: str, code: str, max_minor: int) -> Money:
        """Read a decimal string such as "150.00"; refuse anything inexact or not positive."""
        cur = currency(code)
        if not isinstance(text, str) or not _DECIMAL_TEXT.fullmatch(text):
            raise InvalidAmount('amount must be a decimal string such as "150.00"')
        if len(text) > MAX_AMOUNT_TEXT:
            # int() refuses over 4 300 digits with a ValueError; no amount needs a tenth of it
            raise InvalidAmount(f"amount must be at most {MAX_AMOUNT_TEXT} characters")
        whole, _, fraction = text.partition(".")
        if len(fraction) > cur.exponent:
            raise InvalidAmount(f"{cur.code} allows at most {cur.exponent} decimal places")
        # Exact integer arithmetic on the digits: nothing rounds, whatever the length.
        minor = int(whole + fraction.ljust(cur.exponent, "0"))
        if minor <= 0:
            raise InvalidAmount("amount must be greater than zero")
        if minor > max_minor:
            raise InvalidAmount(f"amount exceeds the maximum of {cls(max_minor, cur).format()}")
        return cls(minor, cur)

    def format(self) -> str:
        """The decimal string of this amount with exactly the currency's decimal places."""
        return format_minor(self.minor, self.currency.exponent)


def format_minor(minor: int, exponent: int) -> str:
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(exponent + 1, "0")
    if exponent == 0:
        return sign + digits
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"
