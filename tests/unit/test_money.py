import pytest

from payout_service.domain.errors import InvalidAmount, UnknownCurrency
from payout_service.domain.money import CURRENCIES, Money, currency, format_minor

MAX_MINOR = 1_000_000_00  # 1 000 000.00 in a two-decimal currency


@pytest.mark.parametrize(
    ("text", "code", "minor"),
    [
        ("150.00", "USD", 15000),
        ("150", "USD", 15000),
        ("150.5", "EUR", 15050),
        ("0.01", "GBP", 1),
        ("0.29", "USD", 29),  # 0.29 * 100 is 28.999... in binary floating point
        ("1500", "JPY", 1500),
        ("1.123456", "USDT", 1_123_456),
        ("0.000001", "USDT", 1),
    ],
)
def test_decimal_text_is_read_as_exact_minor_units(text, code, minor):
    # Given a decimal string within the currency's decimal places
    # When it is parsed
    money = Money.parse(text, code, MAX_MINOR * 10_000)
    # Then it is exactly that many minor units of that currency
    assert money.minor == minor
    assert type(money.minor) is int
    assert money.currency.code == code


def test_amounts_beyond_float_precision_stay_exact():
    # Given an amount whose minor units a float cannot represent (2**53 + 1)
    text = "90071992547409.93"
    # When it is parsed with a limit above it
    money = Money.parse(text, "USD", 10**20)
    # Then not one minor unit is lost
    assert money.minor == 9_007_199_254_740_993


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1.234", "USD"),
        ("1.5", "JPY"),
        ("1.1234567", "USDT"),
        ("150.001", "EUR"),
    ],
)
def test_more_decimals_than_the_currency_has_are_rejected(text, code):
    # Given more decimal places than the currency's exponent
    # When it is parsed
    # Then the amount is refused rather than rounded
    with pytest.raises(InvalidAmount, match="decimal places"):
        Money.parse(text, code, MAX_MINOR)


@pytest.mark.parametrize("text", ["0", "0.00", "0.0", "000"])
def test_zero_is_rejected(text):
    with pytest.raises(InvalidAmount, match="greater than zero"):
        Money.parse(text, "USD", MAX_MINOR)


@pytest.mark.parametrize(
    "text",
    [
        "-1",
        "-0.01",
        "+1",
        "abc",
        "",
        " ",
        "1e3",
        "1,00",
        "1.",
        ".5",
        " 1.00",
        "1.00 ",
        "1.0\n",
        "100\n",
        "NaN",
        "Infinity",
        "\uff11\uff10\uff10",  # full-width digits
        "0x10",
    ],
)
def test_text_that_is_not_a_plain_positive_decimal_is_rejected(text):
    with pytest.raises(InvalidAmount):
        Money.parse(text, "USD", MAX_MINOR)


@pytest.mark.parametrize("value", [150.0, 150, None, ["150.00"]])
def test_amounts_that_are_not_text_are_rejected(value):
    # Given a JSON number or other non-string: floats never become money
    with pytest.raises(InvalidAmount):
        Money.parse(value, "USD", MAX_MINOR)


def test_amount_at_the_maximum_is_accepted():
    assert Money.parse("1000000.00", "USD", MAX_MINOR).minor == MAX_MINOR


def test_amount_above_the_maximum_is_rejected():
    with pytest.raises(InvalidAmount, match=r"maximum of 1000000\.00"):
        Money.parse("1000000.01", "USD", MAX_MINOR)


def test_unknown_currency_is_rejected():
    with pytest.raises(UnknownCurrency, match="XYZ"):
        Money.parse("1.00", "XYZ", MAX_MINOR)


def test_currency_codes_are_case_sensitive():
    with pytest.raises(UnknownCurrency):
        currency("usd")


def test_registry_lists_the_required_currencies_with_their_exponents():
    exponents = {code: c.exponent for code, c in CURRENCIES.items()}
    assert exponents == {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "USDT": 6}


@pytest.mark.parametrize("minor", [1.5, 100.0, True, "100"])
def test_money_holds_only_integer_minor_units(minor):
    with pytest.raises(InvalidAmount):
        Money(minor, currency("USD"))


@pytest.mark.parametrize(
    ("minor", "code", "text"),
    [
        (15000, "USD", "150.00"),
        (5, "USD", "0.05"),
        (100, "EUR", "1.00"),
        (1500, "JPY", "1500"),
        (1, "USDT", "0.000001"),
        (1_123_456, "USDT", "1.123456"),
    ],
)
def test_format_shows_exactly_the_currency_decimal_places(minor, code, text):
    assert Money(minor, currency(code)).format() == text


@pytest.mark.parametrize(("text", "code"), [("150.5", "USD"), ("7", "JPY"), ("2.5", "USDT")])
def test_parse_then_format_gives_the_canonical_text(text, code):
    money = Money.parse(text, code, 10**12)
    assert Money.parse(money.format(), code, 10**12) == money


def test_negative_minor_units_format_with_a_sign():
    assert format_minor(-5, 2) == "-0.05"
    assert format_minor(-1500, 0) == "-1500"


def test_an_amount_of_thousands_of_digits_is_an_invalid_amount_not_a_crash() -> None:
    # int() itself refuses a string of more than 4 300 digits with a ValueError
    with pytest.raises(InvalidAmount):
        Money.parse("1" * 5_000, "USD", 10**9)
    with pytest.raises(InvalidAmount):
        Money.parse("0" * 5_000 + "1.00", "USD", 10**9)
