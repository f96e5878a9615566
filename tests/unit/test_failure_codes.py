"""A provider's codes become ours: known ones by name, anything else kept in the message."""

import pytest

from payout_service.domain.failure_codes import (
    MESSAGES,
    PROVIDER_CODES,
    FailureCode,
    provider_failure,
    refusal_failure,
)


@pytest.mark.parametrize("code", PROVIDER_CODES)
def test_every_provider_code_is_known_by_name(code):
    failure = provider_failure(str(code))
    assert (failure.code, failure.message) == (code, MESSAGES[code])


def test_our_own_codes_are_not_taken_from_a_provider():
    # A provider saying "cancelled_by_client" does not get to speak for the client
    failure = provider_failure("cancelled_by_client")
    assert failure.code is FailureCode.COULD_NOT_PROCESS
    assert "cancelled_by_client" in failure.message


def test_an_unknown_provider_code_is_could_not_process_with_the_raw_code_in_the_message():
    failure = provider_failure("R03_NO_ACCOUNT_UNABLE_TO_LOCATE")
    assert failure.code is FailureCode.COULD_NOT_PROCESS
    assert failure.message.endswith("(the provider's code: R03_NO_ACCOUNT_UNABLE_TO_LOCATE)")


def test_no_code_at_all_is_could_not_process():
    assert provider_failure(None).code is FailureCode.COULD_NOT_PROCESS
    assert provider_failure(None).message == MESSAGES[FailureCode.COULD_NOT_PROCESS]


def test_a_refused_send_keeps_a_known_code_and_is_provider_rejected_otherwise():
    assert refusal_failure("invalid_account_number").code is FailureCode.INVALID_ACCOUNT_NUMBER
    refused = refusal_failure("payout_rejected")
    assert refused.code is FailureCode.PROVIDER_REJECTED
    assert "payout_rejected" in refused.message


def test_every_code_has_a_message():
    assert set(MESSAGES) == set(FailureCode)
