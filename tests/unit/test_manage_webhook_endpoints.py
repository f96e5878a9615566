"""Webhook endpoints: registered with a secret and the user's last sequence, checked against the
URL policy, limited in number, only ever the caller's; rotation keeps the previous secret for
the overlap; re-enabling and pings ask the notify consumer through the outbox."""

from datetime import timedelta

import pytest

from payout_service.application.errors import (
    EndpointLimitReached,
    EndpointUrlRefused,
    NotFound,
)
from payout_service.application.manage_webhook_endpoints import (
    MAX_ENDPOINTS_PER_USER,
    EndpointChanges,
    ManageWebhookEndpoints,
)
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    ENDPOINT_AGGREGATE,
    PING_REQUESTED,
    EndpointState,
)
from payout_service.domain.events import PAYOUT_CREATED
from tests.unit.fakes import FakeClock, FakeDatabase, FakeUnitOfWorkFactory, booked, new_payout

USER = 7
OTHER_USER = 8
URL = "https://hooks.example.com/payouts"
OVERLAP = timedelta(hours=24)
HEADERS = {"request_id": "req-1"}


class FakeUrlPolicy:
    """Allows every URL but those in `refused`, which it refuses with their reason."""

    def __init__(self) -> None:
        self.refused: dict[str, str] = {}
        self.checked: list[str] = []

    async def check_resolved(self, url: str) -> None:
        self.checked.append(url)
        if url in self.refused:
            raise ValueError(self.refused[url])


@pytest.fixture
def urls() -> FakeUrlPolicy:
    return FakeUrlPolicy()


@pytest.fixture
def endpoints(
    database: FakeDatabase, clock: FakeClock, urls: FakeUrlPolicy
) -> ManageWebhookEndpoints:
    return ManageWebhookEndpoints(FakeUnitOfWorkFactory(database), clock, urls, OVERLAP)


async def register(endpoints: ManageWebhookEndpoints, user_id: int = USER, url: str = URL) -> str:
    view = await endpoints.register(user_id, url, ["*"], "ours")
    return view.endpoint.id


def requests_of(database: FakeDatabase, endpoint_id: str) -> list[tuple[str, str, dict]]:
    return [
        (r.event.name, r.event.aggregate_type, r.event.payload)
        for r in database.committed.outbox
        if r.event.aggregate_id == endpoint_id
    ]


async def test_a_new_endpoint_has_a_secret_and_receives_events_after_the_users_last(
    endpoints, database, urls
):
    # Given a user with two events already
    uow = FakeUnitOfWorkFactory(database)
    for payout_id in ("p-1", "p-2"):
        async with uow() as tx:
            await tx.payouts.add(new_payout(payout_id, user_id=USER))
            await tx.commit()

    # When it registers an endpoint
    view = await endpoints.register(USER, URL, [PAYOUT_CREATED], "ledger sync")

    # Then it is enabled, signs with a new whsec_ secret, and starts after sequence 2
    endpoint = view.endpoint
    assert endpoint.id.startswith("we_")
    assert endpoint.secret.startswith("whsec_")
    assert (endpoint.state, endpoint.after_sequence) == (EndpointState.ENABLED, 2)
    assert (endpoint.url, endpoint.event_types, endpoint.description) == (
        URL,
        (PAYOUT_CREATED,),
        "ledger sync",
    )
    assert view.previous_secret_until is None
    assert database.committed.webhook_endpoints[endpoint.id] == endpoint
    assert urls.checked == [URL]


async def test_a_refused_url_is_refused_with_the_policys_reason_and_stores_nothing(
    endpoints, database, urls
):
    urls.refused["https://10.0.0.1/"] = "resolves to 10.0.0.1, a private address"

    with pytest.raises(EndpointUrlRefused, match="a private address"):
        await endpoints.register(USER, "https://10.0.0.1/", ["*"], "")

    assert database.committed.webhook_endpoints == {}


async def test_a_user_may_have_only_so_many_endpoints(endpoints, database):
    for _ in range(MAX_ENDPOINTS_PER_USER):
        await register(endpoints)

    with pytest.raises(EndpointLimitReached):
        await register(endpoints)
    # another user is not held back by this one's
    await register(endpoints, user_id=OTHER_USER)
    assert len(database.committed.webhook_endpoints) == MAX_ENDPOINTS_PER_USER + 1


async def test_another_users_endpoint_is_not_found_whatever_is_asked(endpoints, database):
    theirs = await register(endpoints, user_id=OTHER_USER)

    for attempt in (
        endpoints.get(USER, theirs),
        endpoints.change(USER, theirs, EndpointChanges(disabled=True), HEADERS),
        endpoints.delete(USER, theirs),
        endpoints.rotate_secret(USER, theirs, HEADERS),
        endpoints.request_ping(USER, theirs, HEADERS),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert [v.endpoint.id for v in await endpoints.list(USER)] == []
    assert database.committed.webhook_endpoints[theirs].state is EndpointState.ENABLED
    assert requests_of(database, theirs) == []


async def test_changes_apply_the_given_fields_and_leave_the_others(endpoints, urls):
    endpoint_id = await register(endpoints)
    new_url = "https://hooks.example.com/v2"

    view = await endpoints.change(
        USER, endpoint_id, EndpointChanges(url=new_url, event_types=(PAYOUT_CREATED,)), HEADERS
    )

    assert (view.endpoint.url, view.endpoint.event_types) == (new_url, (PAYOUT_CREATED,))
    assert view.endpoint.description == "ours"
    assert urls.checked[-1] == new_url


async def test_a_changed_url_is_checked_too(endpoints, database, urls):
    endpoint_id = await register(endpoints)
    urls.refused["https://169.254.169.254/"] = "resolves to 169.254.169.254, a link-local address"

    with pytest.raises(EndpointUrlRefused):
        await endpoints.change(
            USER, endpoint_id, EndpointChanges(url="https://169.254.169.254/"), HEADERS
        )

    assert database.committed.webhook_endpoints[endpoint_id].url == URL


async def test_re_enabling_a_disabled_endpoint_asks_for_its_deliveries_once(endpoints, database):
    endpoint_id = await register(endpoints)
    await endpoints.change(USER, endpoint_id, EndpointChanges(disabled=True), HEADERS)
    assert database.committed.webhook_endpoints[endpoint_id].state is EndpointState.DISABLED

    await endpoints.change(USER, endpoint_id, EndpointChanges(disabled=False), HEADERS)
    await endpoints.change(USER, endpoint_id, EndpointChanges(disabled=False), HEADERS)

    assert database.committed.webhook_endpoints[endpoint_id].state is EndpointState.ENABLED
    assert requests_of(database, endpoint_id) == [
        (
            DELIVERIES_REQUESTED,
            ENDPOINT_AGGREGATE,
            {"user_id": USER, "endpoint_id": endpoint_id},
        )
    ]
    (row,) = [r for r in database.committed.outbox if r.event.aggregate_id == endpoint_id]
    assert row.headers == booked(HEADERS)


async def test_re_enabling_forgets_the_failing_spell(endpoints, database, clock):
    # Given an endpoint disabled after failing for long
    endpoint_id = await register(endpoints)
    stored = database.committed.webhook_endpoints[endpoint_id]
    stored.record_failed_attempt(clock.now(), timedelta(0))
    assert stored.state is EndpointState.DISABLED

    # When its owner enables it again
    view = await endpoints.change(USER, endpoint_id, EndpointChanges(disabled=False), HEADERS)

    # Then it is enabled with no failing spell
    assert (view.endpoint.state, view.endpoint.failing_since) == (EndpointState.ENABLED, None)


async def test_rotation_signs_with_a_new_secret_and_the_old_one_for_the_overlap(
    endpoints, database, clock
):
    first = (await endpoints.register(USER, URL, ["*"], "")).endpoint

    rotated = await endpoints.rotate_secret(USER, first.id, HEADERS)

    endpoint = rotated.endpoint
    assert endpoint.secret != first.secret and endpoint.secret.startswith("whsec_")
    assert endpoint.signing_secrets(clock.now()) == (endpoint.secret, first.secret)
    assert rotated.previous_secret_until == clock.now() + OVERLAP
    assert database.committed.webhook_endpoints[first.id].secret == endpoint.secret
    # and once the overlap is over, the endpoint says only one secret signs
    clock.advance(OVERLAP)
    assert (await endpoints.get(USER, first.id)).previous_secret_until is None


async def test_a_ping_is_asked_of_the_notify_consumer(endpoints, database):
    endpoint_id = await register(endpoints)

    await endpoints.request_ping(USER, endpoint_id, HEADERS)

    assert requests_of(database, endpoint_id) == [
        (PING_REQUESTED, ENDPOINT_AGGREGATE, {"user_id": USER, "endpoint_id": endpoint_id})
    ]


async def test_delete_removes_only_the_callers_endpoint(endpoints, database):
    mine = await register(endpoints)
    theirs = await register(endpoints, user_id=OTHER_USER)

    await endpoints.delete(USER, mine)

    assert list(database.committed.webhook_endpoints) == [theirs]
    with pytest.raises(NotFound):
        await endpoints.get(USER, mine)
