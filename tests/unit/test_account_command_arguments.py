"""The operator commands read ids as ASCII digits only: int() alone would take other scripts'
digits and underscores, and a number too long for the database."""

import argparse

import pytest

from payout_service.account_commands import whole_number


@pytest.mark.parametrize("text", ["7", "123", "9" * 19])
def test_ascii_digits_are_a_whole_number(text):
    assert whole_number(text) == int(text)


@pytest.mark.parametrize("text", ["", "²", "١٢٣", "1_000", "-1", " 7", "7.0", "9" * 20])
def test_anything_else_is_refused_by_name(text):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a whole number such as 123"):
        whole_number(text)
