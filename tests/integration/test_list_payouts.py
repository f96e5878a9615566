import pytest

from tests.integration.helpers import error_fields, payout_body, post_payout, problem


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


async def test_cursor_pagination_walks_every_payout_once(api, auth):
    # Given seven payouts
    created = await create_payouts(api, auth, 7)
    # When they are read two at a time, following next_cursor
    seen, sizes, cursor = [], [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        response = await api.get("/api/payouts", params=query, headers=auth)
        assert response.status == 200
        page = await response.json()
        seen += [p["id"] for p in page["data"]]
        sizes.append(len(page["data"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Then the pages hold every payout exactly once, in order, with no gap or duplicate
    assert sizes == [2, 2, 2, 1]
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
    ],
)
async def test_bad_list_parameters_are_rejected(api, auth, query, field):
    response = await api.get(f"/api/payouts?{query}", headers=auth)
    body = await problem(response, 422)
    assert body["code"] == "validation_failed"
    assert error_fields(body) == {field}
