"""Why a payout did not pay, or paid and came back, as the API shows it: failure_code,
failure_message and returned_at on the payout, `?status=returned`, the ledger's `return` line,
the webhook's failure_code checked at the edge, and the counters by failure_code."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from payout_service.bootstrap import Services
from payout_service.domain.failure_codes import MESSAGES, FailureCode
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from payout_service.web.openapi import openapi_document
from tests.integration.helpers import payout_body, post_payout, problem
from tests.integration.webhook_support import (
    accepted_payout,
    at,
    money,
    payout_of,
    post_webhook,
    webhook,
)


def counted(services: Services, name: str) -> dict[str, float]:
    """The web process's `name` counter by its failure_code label: it applied the webhook, and
    the webhook's transaction ended the payout."""
    text = services.metrics.exposition().decode()
    return {
        sample.labels["failure_code"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_a_failed_payout_says_why_with_the_providers_code(
    webhook_api, webhook_services, auth, db, dispatch_outbox
):
    # Given a payout the provider accepted
    payout_id = await accepted_payout(webhook_api, auth, db)
    # When the provider reports it failed with a code it documents, and the consumers run
    failed = webhook(status="failed", failure_code="account_closed")
    assert (await post_webhook(webhook_api, failed)).status == 202
    await dispatch_outbox()
    # Then the payout says why, for a client and for its user, and returned_at stays unset
    payout = await payout_of(webhook_api, auth, payout_id)
    assert payout["status"] == "failed"
    assert payout["failure_code"] == "account_closed"
    assert payout["failure_message"] == MESSAGES[FailureCode.ACCOUNT_CLOSED]
    assert payout["returned_at"] is None
    # and the failure is counted under its code
    assert counted(webhook_services, "payouts_failed_total")["account_closed"] == 1


async def test_an_unknown_provider_code_is_could_not_process_keeping_the_raw_code(
    webhook_api, auth, db, dispatch_outbox
):
    payout_id = await accepted_payout(webhook_api, auth, db)
    failed = webhook(status="failed", failure_code="R99 odd bank code")
    assert (await post_webhook(webhook_api, failed)).status == 202
    await dispatch_outbox()
    payout = await payout_of(webhook_api, auth, payout_id)
    assert payout["failure_code"] == "could_not_process"
    assert "R99 odd bank code" in payout["failure_message"]


async def test_a_cancelled_payout_says_it_was_cancelled_by_the_client(api, auth):
    # Given a pending payout
    created = await (await post_payout(api, auth, payout_body(), key="c-1")).json()
    assert (created["failure_code"], created["failure_message"]) == (None, None)
    # When the client cancels it
    response = await api.post(f"/api/payouts/{created['id']}/cancel", headers=auth)
    # Then the answer, and every later read, says so
    assert response.status == 200
    for payout in (await response.json(), await payout_of(api, auth, created["id"])):
        assert payout["status"] == "cancelled"
        assert payout["failure_code"] == "cancelled_by_client"
        assert payout["failure_message"] == MESSAGES[FailureCode.CANCELLED_BY_CLIENT]
        assert payout["returned_at"] is None


async def test_a_returned_payout_shows_why_and_when_and_is_listed_as_returned(
    webhook_api, webhook_services, auth, db, dispatch_outbox
):
    # Given a payout of 150.00 that succeeded (debited)
    payout_id = await accepted_payout(webhook_api, auth, db)
    assert (await post_webhook(webhook_api, webhook("evt-1", status="success"))).status == 202
    await dispatch_outbox()
    succeeded = await payout_of(webhook_api, auth, payout_id)
    assert (await money(webhook_api, auth))["balance"] == "9850.00"
    # When the provider reports the bank sent it back, and the consumers run
    came_back = webhook("evt-2", status="returned", failure_code="no_account", occurred_at=at(5))
    assert (await post_webhook(webhook_api, came_back)).status == 202
    await dispatch_outbox()
    # Then the payout is returned, says why and when, and still says when it succeeded
    payout = await payout_of(webhook_api, auth, payout_id)
    assert payout["status"] == "returned"
    assert payout["failure_code"] == "no_account"
    assert payout["failure_message"] == MESSAGES[FailureCode.NO_ACCOUNT]
    assert payout["returned_at"] is not None and payout["returned_at"].endswith("Z")
    assert payout["completed_at"] == succeeded["completed_at"]
    # and it is listed by ?status=returned, and no longer as a success
    returned = await (await webhook_api.get("/api/payouts?status=returned", headers=auth)).json()
    assert [p["id"] for p in returned["data"]] == [payout_id]
    assert returned["data"][0] == payout
    success = await (await webhook_api.get("/api/payouts?status=success", headers=auth)).json()
    assert success["data"] == []
    # and the money is back, the newest ledger line a return credit beside the debit
    assert (await money(webhook_api, auth))["balance"] == "10000.00"
    ledger = await (await webhook_api.get("/api/accounts/USD/ledger", headers=auth)).json()
    lines = [(line["reason"], line["direction"]) for line in ledger["data"] if line["payout_id"]]
    assert lines[:2] == [("return", "credit"), ("debit", "debit")]
    assert ledger["data"][0]["amount"] == "150.00"
    # and the return is counted under its code
    assert counted(webhook_services, "payouts_returned_total")["no_account"] == 1


@pytest.mark.parametrize(
    "failure_code",
    ["", "   ", "c" * 65, 123, True, ["account_closed"], {"code": "x"}, "bad\x00code", "a\nb"],
)
async def test_a_bad_failure_code_is_a_422_field_error_and_nothing_is_stored(
    webhook_api, db, failure_code: Any
):
    response = await post_webhook(webhook_api, webhook(status="failed", failure_code=failure_code))
    body = await problem(response, 422)
    assert {error["field"] for error in body["errors"]} == {"failure_code"}


@pytest.mark.parametrize("failure_code", [None, "c" * 64, "account_closed", "R01"])
async def test_a_webhook_without_or_with_a_failure_code_up_to_64_characters_is_stored(
    webhook_api, db, failure_code: str | None
):
    response = await post_webhook(webhook_api, webhook(status="failed", failure_code=failure_code))
    assert response.status == 202, await response.text()


def test_the_document_lists_every_status_and_failure_code():
    schemas = openapi_document()["components"]["schemas"]
    payout = schemas["Payout"]["properties"]
    assert payout["status"]["enum"] == list(PayoutStatus)
    assert "returned" in payout["status"]["enum"]
    assert payout["failure_code"]["enum"] == [*FailureCode, None]
    assert {"failure_message", "returned_at"} <= set(schemas["Payout"]["required"])
    provider = schemas["ProviderWebhook"]["properties"]
    assert provider["status"]["enum"] == list(ProviderStatus)
    assert provider["failure_code"]["maxLength"] == 64
    assert "failure_code" not in schemas["ProviderWebhook"]["required"]
    assert "return" in schemas["LedgerLine"]["properties"]["reason"]["enum"]
