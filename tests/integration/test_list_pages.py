"""Every list answer says whether more follow: has_more is true on each page but the last."""

from __future__ import annotations

import pytest

from tests.integration.helpers import payout_body, post_payout


def batch_of_one(reference: str) -> dict[str, list[dict[str, str]]]:
    return {
        "items": [
            {"amount": "1.00", "currency": "USD", "wallet": "W", "external_reference": reference}
        ]
    }


async def given_two_payouts_and_two_batches(api, auth) -> None:
    for n in range(2):
        created = await post_payout(api, auth, payout_body(external_reference=f"r-{n}"), f"p-{n}")
        assert created.status == 201
        posted = await api.post(
            "/api/payout-batches",
            json=batch_of_one(f"b-{n}"),
            headers={**auth, "Idempotency-Key": f"b-{n}"},
        )
        assert posted.status == 201, await posted.text()


@pytest.mark.parametrize(
    ("path", "rows"),
    [
        ("/api/payouts", 4),  # two payouts, and the two batches' items
        ("/api/payout-batches", 2),
        ("/api/accounts/USD/ledger", 5),  # the seed's deposit and four holds
    ],
)
async def test_one_row_pages_say_more_follow_until_the_last(api, auth, path, rows):
    # Given two payouts and two batches of one item
    await given_two_payouts_and_two_batches(api, auth)
    # When the list is read one row at a time, following next_cursor
    flags, cursor = [], None
    while True:
        query = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = await (await api.get(path, params=query, headers=auth)).json()
        flags.append(page["has_more"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Then every page but the last says more follow
    assert flags == [True] * (rows - 1) + [False]


async def test_the_lists_of_one_page_say_none_follow(api, auth):
    for path in ("/api/accounts", "/api/webhook-endpoints"):
        page = await (await api.get(path, headers=auth)).json()
        assert page["has_more"] is False, path
