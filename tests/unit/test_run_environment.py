"""`payout-service run` (make run) lets webhooks go to http:// receivers on this machine unless
the operator said otherwise."""

import pytest

from payout_service.infrastructure.settings import Settings
from payout_service.run_command import _process_environment

VARIABLE = "OUTGOING_WEBHOOKS_ALLOW_HTTP_LOOPBACK"


@pytest.mark.parametrize("unset", [None, ""])
def test_http_to_loopback_is_allowed_when_the_variable_is_unset(monkeypatch, unset):
    if unset is None:
        monkeypatch.delenv(VARIABLE, raising=False)
    else:
        monkeypatch.setenv(VARIABLE, unset)

    assert _process_environment(Settings())[VARIABLE] == "on"


def test_an_operators_choice_is_kept(monkeypatch):
    monkeypatch.setenv(VARIABLE, "off")

    assert _process_environment(Settings())[VARIABLE] == "off"
