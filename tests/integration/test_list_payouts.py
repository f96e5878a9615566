"""GET /api/payouts: the caller's payouts newest first, filtered, a page at a time."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.helpers import add_user, error_fields, payout_body, post_payout, problem

# The creation times the filter tests give their payouts: 10:00, 11:00 and 12:00 UTC.
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def create_payouts(api, auth, count: int) -> list[dict]:
    created = []
    for n in range(count):
        response = await post_payout(
            api, auth, payout_body(amount=f"{n + 1}.00", external_reference=f"ref-{n}"), f"k-{n}"
        )
        assert response.status == 201
        created.append(await response.json())
    return created


def newest_first(payouts: list[dict]) -> list[str]:
    return [
        p["id"] for p in sorted(payouts, key=lambda p: (p["created_at"], p["id"]), reverse=True)
    ]


async def test_list_shows_the_callers_payouts_newest_first(api, auth):
    # Given three payouts
    created = await create_payouts(api, auth, 3)
    # When they are listed
    response = await api.get("/api/payouts", headers=auth)
    # Then all three come back newest first, with no further page
    page = await response.json()
    assert response.status == 200
    assert [p["id"] for p in page["data"]] == newest_first(created)
    assert page["data"][0] == next(p for p in created if p["id"] == page["data"][0]["id"])
    assert page["next_cursor"] is None
    assert page["has_more"] is False


async def test_cursor_pagination_walks_every_payout_once(api, auth):
    # Given seven payouts
    created = await create_payouts(api, auth, 7)
    # When they are read two at a time, following next_cursor
    seen, sizes, more, cursor = [], [], [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        response = await api.get("/api/payouts", params=query, headers=auth)
        assert response.status == 200
        page = await response.json()
        seen += [p["id"] for p in page["data"]]
        sizes.append(len(page["data"]))
        more.append(page["has_more"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Then the pages hold every payout exactly once, in order, with no gap or duplicate, and
    # each but the last says more follow
    assert sizes == [2, 2, 2, 1]
    assert more == [True, True, True, False]
    assert seen == newest_first(created)


async def test_status_filter_lists_only_payouts_in_that_status(api, auth, db):
    # Given three pending payouts, one of which has since failed
    created = await create_payouts(api, auth, 3)
    failed_id = created[1]["id"]
    async with db() as tx:
        await tx.session.execute(
            "UPDATE payouts SET status = %s WHERE id = %s", "failed", failed_id
        )
        await tx.commit()
    # When payouts are listed by status
    failed = await (await api.get("/api/payouts?status=failed", headers=auth)).json()
    pending = await (await api.get("/api/payouts?status=pending", headers=auth)).json()
    success = await (await api.get("/api/payouts?status=success", headers=auth)).json()
    # Then each list holds exactly the payouts in that status
    assert [p["id"] for p in failed["data"]] == [failed_id]
    assert failed["data"][0]["status"] == "failed"
    assert {p["id"] for p in pending["data"]} == {created[0]["id"], created[2]["id"]}
    assert success["data"] == []


async def test_limit_caps_the_page_size(api, auth):
    await create_payouts(api, auth, 3)
    page = await (await api.get("/api/payouts?limit=1", headers=auth)).json()
    assert len(page["data"]) == 1
    assert page["next_cursor"]
    assert page["has_more"] is True


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=", "cursor"),
        ("cursor=MjAyNi0wMS0wMQ", "cursor"),  # base64 of a date with no id
        ("status=done", "status"),
        ("status=PENDING", "status"),
        ("sort=asc", "sort"),
        ("external_reference=", "external_reference"),
        ("external_reference=" + "r" * 129, "external_reference"),
        ("external_reference=a%0Ab", "external_reference"),
        ("created_gte=2026-01-01", "created_gte"),
        ("created_gte=2026-01-01T00:00:00", "created_gte"),
        ("created_gte=2026-01-01T00:00:00+01:00", "created_gte"),  # an unencoded + is a space
        ("created_gte=2026-13-01T00:00:00Z", "created_gte"),
        ("created_lt=2026-W01-1T00:00:00Z", "created_lt"),
        ("created_lt=yesterday", "created_lt"),
        ("created_lt=0999-12-31T23:59:59Z", "created_lt"),
        ("status=pending&status=failed", "status"),
    ],
)
async def test_bad_list_parameters_are_rejected(api, auth, query, field):
    response = await api.get(f"/api/payouts?{query}", headers=auth)
    body = await problem(response, 422)
    assert body["code"] == "validation_failed"
    assert error_fields(body) == {field}


async def set_created_at(db, payout_id: str, moment: datetime) -> None:
    async with db() as tx:
        await tx.session.execute(
            "UPDATE payouts SET created_at = %s WHERE id = %s",
            tx.session.dialect.to_db(moment),
            payout_id,
        )
        await tx.commit()


async def payouts_created_at_10_11_and_12(api, auth, db) -> list[str]:
    """Three payouts created at 10:00, 11:00 and 12:00 UTC; their ids in that order."""
    created = await create_payouts(api, auth, 3)
    for payout, hours_before_noon in zip(created, (2, 1, 0), strict=True):
        await set_created_at(db, payout["id"], NOON - timedelta(hours=hours_before_noon))
    return [p["id"] for p in created]


async def listed(api, auth, query: dict[str, str]) -> list[str]:
    response = await api.get("/api/payouts", params=query, headers=auth)
    assert response.status == 200, await response.text()
    return [p["id"] for p in (await response.json())["data"]]


async def test_external_reference_finds_the_one_payout_that_carries_it_exactly(api, auth, db):
    # Given three payouts ref-0, ref-1 and ref-2, and another user's payout with ref-1 too
    created = await create_payouts(api, auth, 3)
    other = await add_user(db, 9001, "psk_other_user_9001")
    other_body = payout_body(user_id=9001, external_reference="ref-1")
    assert (await post_payout(api, other, other_body, "other-key")).status == 201
    # When the caller lists by reference
    found = await listed(api, auth, {"external_reference": "ref-1"})
    prefix = await listed(api, auth, {"external_reference": "ref"})
    unknown = await listed(api, auth, {"external_reference": "ref-9"})
    # Then only its own payout with exactly that reference is listed
    assert found == [created[1]["id"]]
    assert prefix == []
    assert unknown == []


async def test_created_gte_and_created_lt_bound_the_creation_time(api, auth, db):
    # Given payouts created at 10:00, 11:00 and 12:00 UTC
    at_10, at_11, at_12 = await payouts_created_at_10_11_and_12(api, auth, db)
    # When they are listed from 11:00 on, before 11:00, and between the two (written in UTC+01:00)
    from_11 = await listed(api, auth, {"created_gte": "2026-03-01T11:00:00Z"})
    before_11 = await listed(api, auth, {"created_lt": "2026-03-01T11:00:00Z"})
    window = await listed(
        api,
        auth,
        {"created_gte": "2026-03-01T11:00:00+01:00", "created_lt": "2026-03-01T13:00:00+01:00"},
    )
    # Then the lower bound is inclusive, the upper exclusive, and an offset counts
    assert from_11 == [at_12, at_11]
    assert before_11 == [at_10]
    assert window == [at_11, at_10]


async def test_a_filtered_list_pages_through_exactly_the_matching_payouts(api, auth, db):
    # Given payouts created at 10:00, 11:00 and 12:00 UTC
    _, at_11, at_12 = await payouts_created_at_10_11_and_12(api, auth, db)
    # When those from 11:00 on are read one at a time
    query = {"created_gte": "2026-03-01T11:00:00Z", "limit": "1"}
    first = await (await api.get("/api/payouts", params=query, headers=auth)).json()
    cursor = {"cursor": first["next_cursor"]}
    second = await (await api.get("/api/payouts", params=query | cursor, headers=auth)).json()
    # Then the two pages hold the two matching payouts, and only the first says more follow
    assert [p["id"] for p in first["data"] + second["data"]] == [at_12, at_11]
    assert (first["has_more"], second["has_more"]) == (True, False)
    assert second["next_cursor"] is None
