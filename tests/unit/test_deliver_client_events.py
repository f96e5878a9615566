"""The notify consumer delivers a user's client events to their endpoints: signed, in order per
payout whichever message comes first, retried with backoff until given up, one claimer per
chain, and an endpoint failing too long disabled with its user told."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest

from payout_service.application.deliver_client_events import DeliverClientEvents
from payout_service.application.delivery_chains import DeliveryChains
from payout_service.application.delivery_schedule import DeliverySchedule
from payout_service.application.messages import Envelope
from payout_service.application.representation import client_event_representation
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    ENDPOINT_AGGREGATE,
    ENDPOINT_DISABLED,
    PING,
    PING_REQUESTED,
    DeliveryStatus,
    EndpointState,
    WebhookEndpoint,
)
from payout_service.domain.events import (
    PAYOUT_BATCH_COMPLETED,
    PAYOUT_CREATED,
    PAYOUT_PROCESSING,
)
from payout_service.domain.payout_batch import BatchMode, PayoutBatch
from tests.unit.fakes import (
    NO_ANSWER,
    REFUSED_ADDRESS,
    START,
    DeliveryRow,
    FakeClock,
    FakeDatabase,
    FakeDeliveryWakeUps,
    FakeUnitOfWorkFactory,
    FakeWebhookSender,
    RecordingMetrics,
    WebhookPost,
    new_payout,
)

USER = 7
USER_WITHOUT_ENDPOINTS = 8
LEASE = timedelta(seconds=15)
RETRY_FOR = timedelta(hours=72)
DISABLE_AFTER = timedelta(hours=120)
SECOND = timedelta(seconds=1)


class World:
    """The consumer over fakes; payouts changed through the unit of work, as the service does,
    so their client events and outbox rows are written."""

    def __init__(
        self,
        database: FakeDatabase,
        clock: FakeClock,
        metrics: RecordingMetrics,
        disable_after: timedelta = DISABLE_AFTER,
        budget: timedelta = timedelta(seconds=30),
    ) -> None:
        self.database, self.clock, self.metrics = database, clock, metrics
        self.uow = FakeUnitOfWorkFactory(database)
        self.sender = FakeWebhookSender()
        self.wake_ups = FakeDeliveryWakeUps()
        # uniform 0.5: no jitter, so the waits are exact
        schedule = DeliverySchedule(retry_for=RETRY_FOR, uniform=lambda: 0.5)
        chains = DeliveryChains(
            self.uow, clock, self.sender, self.wake_ups, schedule, disable_after, LEASE, metrics
        )
        self.consume = DeliverClientEvents(self.uow, clock, chains, self.sender, budget)

    async def notify(self, *envelopes: Envelope) -> int:
        """One notify message carrying the envelopes; how many had work."""
        return await self.consume(envelopes)

    def endpoint(self, endpoint_id: str = "we_1", **changes: object) -> WebhookEndpoint:
        endpoint = self.database.add_endpoint(USER, endpoint_id)
        endpoint = replace(endpoint, **changes)  # type: ignore[arg-type]
        self.database.committed.webhook_endpoints[endpoint.id] = endpoint
        return endpoint

    async def create(self, payout_id: str = "p-1", user_id: int = USER) -> None:
        async with self.uow() as tx:
            await tx.payouts.add(new_payout(payout_id, user_id=user_id, now=self.clock.now()))
            await tx.commit()

    async def process(self, payout_id: str = "p-1") -> None:
        async with self.uow() as tx:
            payout = await tx.payouts.get_for_update(payout_id)
            assert payout is not None
            payout.start_processing(self.clock.now())
            await tx.payouts.update(payout)
            await tx.commit()

    def message(self, event: str, payout_id: str = "p-1") -> Envelope:
        """The event's notify message: from its outbox row, or, for an event written when no
        endpoint of its user listened, as an earlier version published every one of them."""
        rows = [
            r
            for r in self.database.committed.outbox
            if r.event.name == event and r.event.aggregate_id == payout_id
        ]
        if rows:
            (row,) = rows
            return row.envelope()
        (audited,) = [
            e
            for e in self.database.committed.audit
            if e.event == event and e.aggregate_id == payout_id
        ]
        return audited

    async def wake(self, endpoint_id: str = "we_1") -> None:
        """A wake-up, or the API's request, for the endpoint's due deliveries."""
        await self.notify(endpoint_message(DELIVERIES_REQUESTED, endpoint_id))

    def deliveries(self, endpoint_id: str = "we_1") -> list[DeliveryRow]:
        rows = self.database.committed.webhook_deliveries.values()
        return sorted((r for r in rows if r.endpoint_id == endpoint_id), key=lambda r: r.id)

    def stored_endpoint(self, endpoint_id: str = "we_1") -> WebhookEndpoint:
        return self.database.committed.webhook_endpoints[endpoint_id]


def endpoint_message(event: str, endpoint_id: str, message_id: str = "msg-e") -> Envelope:
    return Envelope(
        message_id=message_id,
        event=event,
        aggregate_type=ENDPOINT_AGGREGATE,
        aggregate_id=endpoint_id,
        payload={"user_id": USER, "endpoint_id": endpoint_id},
        headers={},
        occurred_at=START,
    )


def sent(posts: list[WebhookPost]) -> list[tuple[str, str | None, int | None]]:
    """(endpoint id, payout id, payout version) of each POST."""
    return [
        (p.url.rsplit("/", 1)[1], p.body.get("payout_id"), p.body.get("payout_version"))
        for p in posts
    ]


@pytest.fixture
def world(database: FakeDatabase, clock: FakeClock, metrics: RecordingMetrics) -> World:
    return World(database, clock, metrics)


async def test_an_event_goes_signed_to_each_endpoint_subscribing_to_it(world: World) -> None:
    # Given three endpoints of the user: all types, payout.created only, and payout.failed only
    world.endpoint("we_1")
    world.endpoint("we_2", event_types=(PAYOUT_CREATED,))
    world.endpoint("we_3", event_types=("payout.failed",))
    await world.create()

    # When the payout.created message is consumed
    await world.notify(world.message(PAYOUT_CREATED))

    # Then each subscriber got the event once, as the events API shows it, signed with its secret
    (event,) = world.database.committed.client_events
    assert [(p.url, p.secrets) for p in world.sender.posts] == [
        ("https://client.example/we_1", ("whsec_we_1",)),
        ("https://client.example/we_2", ("whsec_we_2",)),
    ]
    for post in world.sender.posts:
        assert post.body == client_event_representation(event)
        assert (post.event_id, post.sequence) == (event.id, event.sequence)
    # and each delivery is recorded delivered after one attempt
    assert [(r.status, len(r.attempts)) for r in world.deliveries("we_1")] == [
        (DeliveryStatus.DELIVERED, 1)
    ]
    assert world.deliveries("we_3") == []
    assert world.metrics.counted == [("outgoing_webhook_delivery", "delivered")] * 2


async def test_both_secrets_sign_during_a_rotation_overlap(world: World) -> None:
    endpoint = world.endpoint()
    endpoint.rotate_secret("whsec_new", START, timedelta(hours=24))
    await world.create()

    await world.notify(world.message(PAYOUT_CREATED))

    assert world.sender.posts[0].secrets == ("whsec_new", "whsec_we_1")


async def test_version_two_consumed_first_still_delivers_version_one_before_it(
    world: World,
) -> None:
    world.endpoint()
    await world.create()
    await world.process()

    # When the payout.processing message (version 2) arrives before payout.created's
    await world.notify(world.message(PAYOUT_PROCESSING))
    await world.notify(world.message(PAYOUT_CREATED))

    # Then version 1 went first, and the late message sent nothing again
    assert sent(world.sender.posts) == [("we_1", "p-1", 1), ("we_1", "p-1", 2)]


async def test_a_redelivered_message_sends_nothing_again(world: World) -> None:
    world.endpoint()
    await world.create()
    message = world.message(PAYOUT_CREATED)

    await world.notify(message)
    await world.notify(message)

    assert len(world.sender.posts) == 1
    assert len(world.deliveries()) == 1


async def test_an_endpoint_gets_only_the_events_after_its_creation(world: World) -> None:
    # Given an endpoint created once the user's first event was logged
    await world.create()
    world.endpoint(after_sequence=1)
    await world.process()

    await world.notify(world.message(PAYOUT_PROCESSING))

    assert sent(world.sender.posts) == [("we_1", "p-1", 2)]


async def test_a_failed_attempt_is_tried_again_after_a_backoff(world: World) -> None:
    world.endpoint()
    await world.create()
    world.sender.will_answer(500, NO_ANSWER)

    # When the first attempt gets a 500
    await world.notify(world.message(PAYOUT_CREATED))

    # Then the delivery waits a second, with a wake-up asked for then
    (row,) = world.deliveries()
    assert (row.status, row.next_attempt_at, row.last_status_code) == (
        DeliveryStatus.PENDING,
        START + SECOND,
        500,
    )
    assert world.wake_ups.asked == [("we_1", START + SECOND)]
    # and nothing goes before that moment
    await world.wake()
    assert len(world.sender.posts) == 1

    # When the wake-up comes and the second attempt gets no answer, then two seconds more
    world.clock.advance(SECOND)
    await world.wake()
    (row,) = world.deliveries()
    assert row.next_attempt_at == START + 3 * SECOND
    # and the third attempt is delivered
    world.clock.advance(2 * SECOND)
    await world.wake()
    (row,) = world.deliveries()
    assert (row.status, [a.status_code for a in row.attempts]) == (
        DeliveryStatus.DELIVERED,
        [500, None, 200],
    )
    assert [label for _, label in world.metrics.counted] == ["retry", "retry", "delivered"]


async def test_a_stuck_payout_blocks_only_its_own_events(world: World) -> None:
    world.endpoint()
    await world.create("p-1")
    await world.create("p-2")
    await world.process("p-1")
    world.sender.answer_for = lambda post: 500 if post.body["payout_id"] == "p-1" else 200

    for message in (
        world.message(PAYOUT_CREATED, "p-1"),
        world.message(PAYOUT_CREATED, "p-2"),
        world.message(PAYOUT_PROCESSING, "p-1"),
    ):
        await world.notify(message)

    # p-1's version 1 failed, so its version 2 waits; p-2 went through
    assert sent(world.sender.delivered()) == [("we_1", "p-2", 1)]
    assert sent(world.sender.posts) == [("we_1", "p-1", 1), ("we_1", "p-2", 1)]

    # Once p-1's version 1 is delivered, version 2 follows it
    world.sender.answer_for = None
    world.clock.advance(SECOND)
    await world.wake()
    assert sent(world.sender.posts)[2:] == [("we_1", "p-1", 1), ("we_1", "p-1", 2)]


async def test_a_delivery_retried_out_of_its_window_fails_and_the_next_goes(
    world: World,
) -> None:
    world.endpoint()
    await world.create()
    world.sender.answer_for = lambda post: 503

    # When version 1 gets no 2xx for the whole retry window
    await world.notify(world.message(PAYOUT_CREATED))
    while world.deliveries()[0].status is DeliveryStatus.PENDING:
        world.clock.moment = world.deliveries()[0].next_attempt_at
        await world.wake()

    # Then it is failed after its last try, at the end of the window, waits capped at an hour
    (row,) = world.deliveries()
    attempted = [a.attempted_at for a in row.attempts]
    assert attempted[-1] == START + RETRY_FOR
    assert max(b - a for a, b in pairwise(attempted)) == timedelta(hours=1)
    assert row.finished_at == START + RETRY_FOR
    assert world.metrics.counted[-1] == ("outgoing_webhook_delivery", "failed")
    # and the endpoint is failing, yet still sent its deliveries
    assert world.stored_endpoint().state is EndpointState.FAILING

    # When the payout's next version comes, it goes, and a 2xx makes the endpoint healthy again
    world.sender.answer_for = None
    await world.process()
    await world.notify(world.message(PAYOUT_PROCESSING))
    assert sent(world.sender.posts)[-1] == ("we_1", "p-1", 2)
    endpoint = world.stored_endpoint()
    assert (endpoint.state, endpoint.failing_since) == (EndpointState.ENABLED, None)


async def test_an_endpoint_failing_too_long_is_disabled_and_its_user_told(
    database: FakeDatabase, clock: FakeClock, metrics: RecordingMetrics
) -> None:
    world = World(database, clock, metrics, disable_after=timedelta(minutes=1))
    world.endpoint("we_1")
    world.endpoint("we_2", event_types=(ENDPOINT_DISABLED,))
    await world.create()
    world.sender.answer_for = lambda post: 500 if post.url.endswith("we_1") else 200

    # When we_1 keeps failing for longer than a minute
    await world.notify(world.message(PAYOUT_CREATED))
    while world.stored_endpoint().state is not EndpointState.DISABLED:
        world.clock.moment = world.deliveries()[0].next_attempt_at
        await world.wake()

    # Then the user's log tells them, as its next event, and their other endpoint got it
    notice = world.database.committed.client_events[-1]
    assert (notice.type, notice.sequence, notice.payout_id) == (ENDPOINT_DISABLED, 2, None)
    assert notice.data["endpoint_id"] == "we_1"
    assert world.sender.delivered()[-1].event_id == notice.id
    assert world.sender.delivered()[-1].url.endswith("we_2")

    # and we_1 is sent nothing more, its delivery left pending for when it is enabled again
    posts = len(world.sender.posts)
    world.clock.advance(timedelta(hours=2))
    await world.wake()
    await world.process()
    await world.notify(world.message(PAYOUT_PROCESSING))
    assert len(world.sender.posts) == posts
    assert world.deliveries()[0].status is DeliveryStatus.PENDING


async def test_a_failed_attempt_takes_the_users_event_counter_before_the_endpoint(
    database: FakeDatabase, clock: FakeClock, metrics: RecordingMetrics
) -> None:
    # Given an endpoint whose attempts fail, and so may disable it (which appends the user's
    # event under their counter)
    world = World(database, clock, metrics, disable_after=timedelta(minutes=1))
    world.endpoint("we_1")
    await world.create()
    world.sender.answer_for = lambda post: 500
    writes = len(world.database.locks)
    # When an attempt fails
    await world.notify(world.message(PAYOUT_CREATED))
    # Then its transaction took the counter before the endpoint, the order in which every
    # transaction writing the user's events takes them: the two never wait for each other
    recorded = world.database.locks[writes:]
    assert recorded[:2] == [("counter", USER), ("endpoint", "we_1")]
    # as the payout's own transaction did, counter first, then the endpoints under lock
    assert world.database.locks[:writes] == [("counter", USER), ("endpoint", "we_1")]


async def test_a_disabled_endpoint_gets_its_pending_deliveries_once_enabled(
    world: World,
) -> None:
    world.endpoint()
    await world.create()
    world.sender.will_answer(500)
    await world.notify(world.message(PAYOUT_CREATED))
    # Given the client disabled the endpoint while a delivery waited for its retry
    world.stored_endpoint().disable(START)
    world.clock.advance(SECOND)
    await world.wake()
    assert len(world.sender.posts) == 1

    # When it is enabled again and the API asks for its deliveries
    assert world.stored_endpoint().enable(world.clock.now())
    await world.wake()

    assert world.deliveries()[0].status is DeliveryStatus.DELIVERED


async def test_an_endpoint_disabled_while_a_chain_is_sent_gets_no_more_of_it(
    world: World,
) -> None:
    world.endpoint()
    await world.create()
    await world.process()

    async def client_disables_it() -> None:
        world.stored_endpoint().disable(world.clock.now())

    world.sender.while_posting = client_disables_it
    await world.notify(world.message(PAYOUT_PROCESSING))

    assert sent(world.sender.posts) == [("we_1", "p-1", 1)]
    assert world.deliveries()[1].status is DeliveryStatus.PENDING


async def test_two_workers_never_send_one_chain_at_once(world: World) -> None:
    world.endpoint()
    await world.create()
    message = world.message(PAYOUT_CREATED)

    # When a second worker takes the same chain while the first is posting
    async def second_worker() -> None:
        await world.notify(message)

    world.sender.while_posting = second_worker
    await world.notify(message)

    # Then only the first posted; the second asked to look again once the lease ends
    assert len(world.sender.posts) == 1
    assert world.wake_ups.asked == [("we_1", START + LEASE)]


async def test_a_dead_workers_claim_expires_and_the_delivery_goes(world: World) -> None:
    world.endpoint()
    await world.create()
    # Given a worker created the delivery, claimed it, and died before posting
    async with world.uow() as tx:
        events = await tx.client_events.of_payout("p-1", 1)
        await tx.webhook_deliveries.add_missing("we_1", events, START)
        claim = await tx.webhook_deliveries.claim_next("we_1", "p-1", START, START + LEASE)
        await tx.commit()
    assert claim.delivery is not None

    # When its message is redelivered while the lease holds: nothing goes yet
    await world.notify(world.message(PAYOUT_CREATED))
    assert world.sender.posts == []
    assert world.wake_ups.asked == [("we_1", START + LEASE)]
    # and the wake-up at the lease's end sends it
    world.clock.moment = START + LEASE
    await world.wake()
    assert sent(world.sender.posts) == [("we_1", "p-1", 1)]


async def test_a_refused_address_is_counted_and_tried_again(world: World) -> None:
    world.endpoint()
    await world.create()
    world.sender.will_answer(REFUSED_ADDRESS)

    await world.notify(world.message(PAYOUT_CREATED))

    (row,) = world.deliveries()
    assert (row.status, row.last_status_code) == (DeliveryStatus.PENDING, None)
    assert "private address" in (row.last_error or "")
    assert world.metrics.counted == [("outgoing_webhook_delivery", "refused_address")]


async def test_a_delivery_whose_event_was_purged_is_given_up(world: World) -> None:
    world.endpoint()
    await world.create()
    world.sender.will_answer(500)
    await world.notify(world.message(PAYOUT_CREATED))
    world.database.committed.client_events.clear()

    world.clock.advance(SECOND)
    await world.wake()

    (row,) = world.deliveries()
    assert row.status is DeliveryStatus.FAILED
    assert len(world.sender.posts) == 1


async def test_a_message_out_of_time_asks_for_a_wake_up_for_the_rest(
    database: FakeDatabase, clock: FakeClock, metrics: RecordingMetrics
) -> None:
    world = World(database, clock, metrics, budget=timedelta(0))
    world.endpoint()
    await world.create()
    await world.process()

    # When a message out of time sends what it claimed with its deliveries
    await world.notify(world.message(PAYOUT_PROCESSING))

    # Then the chain's next waits for the wake-up asked for at once
    assert sent(world.sender.posts) == [("we_1", "p-1", 1)]
    assert world.wake_ups.asked == [("we_1", START)]
    assert [r.status for r in world.deliveries()] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.PENDING,
    ]


async def test_a_ping_is_posted_once_signed_and_logs_no_delivery(world: World) -> None:
    world.endpoint()
    message = endpoint_message(PING_REQUESTED, "we_1", message_id="msg-ping")

    assert await world.notify(message) == 1
    assert await world.notify(message) == 0  # a redelivery

    (ping,) = world.sender.posts
    assert ping.body["type"] == PING
    assert ping.body["data"] == {"endpoint_id": "we_1"}
    assert (ping.event_id, ping.sequence, ping.secrets) == (ping.body["id"], None, ("whsec_we_1",))
    assert ping.event_id.startswith("evt_")
    assert world.deliveries() == []


async def test_a_batch_event_goes_to_the_endpoints_receiving_it_as_a_chain_of_its_own(
    world: World,
) -> None:
    # Given an endpoint for every event and one for payout_batch.completed only
    world.endpoint("we_1")
    world.endpoint("we_2", event_types=(PAYOUT_BATCH_COMPLETED,))
    batch = PayoutBatch.create(
        "b-1", USER, BatchMode.PER_ITEM, [new_payout("p-1", user_id=USER, batch_id="b-1")], START
    )
    async with world.uow() as tx:
        await tx.batches.add(batch)
        await tx.commit()
    (row,) = [r for r in world.database.committed.outbox if r.event.aggregate_id == "b-1"]

    # When its payout_batch.created message is consumed, twice (a redelivery)
    await world.notify(row.envelope())
    await world.notify(row.envelope())

    # Then the event named by the message went once, to the endpoint receiving it
    (event,) = [e for e in world.database.committed.client_events if e.payout_id is None]
    assert event.id == row.event.payload["event_id"]
    assert [(p.url, p.body) for p in world.sender.posts] == [
        ("https://client.example/we_1", client_event_representation(event))
    ]
    assert event.data["id"] == "b-1" and event.data["counts"]["total"] == 1
    assert [r.status for r in world.deliveries("we_1")] == [DeliveryStatus.DELIVERED]


async def test_a_batch_delivers_only_to_users_with_endpoints_finding_them_in_one_query(
    world: World,
) -> None:
    # Given a user with an endpoint and one without, each with a payout created then processing
    world.endpoint()
    await world.create("p-1")
    await world.create("p-2", user_id=USER_WITHOUT_ENDPOINTS)
    await world.process("p-1")
    await world.process("p-2")
    batch = [
        world.message(event, payout_id)
        for event in (PAYOUT_CREATED, PAYOUT_PROCESSING)
        for payout_id in ("p-2", "p-1")
    ]
    world.database.endpoint_queries.clear()  # the writing transactions' own, under lock

    # When one notify message brings the four events
    applied = await world.notify(*batch)

    # Then the user with an endpoint got theirs, in order; the other user's were skipped
    assert sent(world.sender.posts) == [("we_1", "p-1", 1), ("we_1", "p-1", 2)]
    assert applied == 2
    # after one query for both users, the skipped user's endpoints never looked up again
    assert world.database.endpoint_queries == [
        ("users_with_endpoints", (USER, USER_WITHOUT_ENDPOINTS)),
        ("receiving", (USER,)),
        ("receiving", (USER,)),
    ]


async def test_a_batch_of_users_without_endpoints_costs_one_query(world: World) -> None:
    await world.create("p-2", user_id=USER_WITHOUT_ENDPOINTS)
    world.database.endpoint_queries.clear()  # the writing transaction's own, under lock

    assert await world.notify(world.message(PAYOUT_CREATED, "p-2")) == 0

    assert world.database.endpoint_queries == [("users_with_endpoints", (USER_WITHOUT_ENDPOINTS,))]
    assert world.sender.posts == []


async def test_a_redelivered_batch_sends_nothing_again(world: World) -> None:
    world.endpoint()
    await world.create("p-1")
    await world.create("p-2")
    await world.process("p-1")
    batch = [
        world.message(PAYOUT_CREATED, "p-1"),
        world.message(PAYOUT_CREATED, "p-2"),
        world.message(PAYOUT_PROCESSING, "p-1"),
    ]

    await world.notify(*batch)
    await world.notify(*batch)

    assert sorted(sent(world.sender.posts)) == [
        ("we_1", "p-1", 1),
        ("we_1", "p-1", 2),
        ("we_1", "p-2", 1),
    ]
    assert [r.status for r in world.deliveries()] == [DeliveryStatus.DELIVERED] * 3


async def test_an_envelope_failing_fails_its_batch_after_the_others_and_a_retry_finishes_it(
    world: World,
) -> None:
    # Given a batch of two payouts' events, the POST of p-2's raising (a bug, an outage)
    world.endpoint()
    await world.create("p-1")
    await world.create("p-2")
    batch = [world.message(PAYOUT_CREATED, "p-2"), world.message(PAYOUT_CREATED, "p-1")]

    def failing_for_p2(post: WebhookPost) -> int:
        if post.body["payout_id"] == "p-2":
            raise ConnectionError("the database went away")
        return 200

    world.sender.answer_for = failing_for_p2

    # When the message is consumed, it fails, once p-1's event is delivered all the same
    with pytest.raises(ConnectionError):
        await world.notify(*batch)
    assert sent(world.sender.posts) == [("we_1", "p-2", 1), ("we_1", "p-1", 1)]
    assert {r.chain: r.status for r in world.deliveries()} == {
        "p-1": DeliveryStatus.DELIVERED,
        "p-2": DeliveryStatus.PENDING,
    }

    # When Dramatiq retries the whole message, once the failed claim's lease is over
    world.sender.answer_for = None
    world.clock.advance(LEASE)
    await world.notify(*batch)

    # Then p-2's event went, and p-1's was not sent again
    assert sent(world.sender.posts)[2:] == [("we_1", "p-2", 1)]
    assert [r.status for r in world.deliveries()] == [DeliveryStatus.DELIVERED] * 2


async def test_endpoint_requests_in_a_batch_go_whoever_their_user(world: World) -> None:
    # Given a disabled endpoint, so its user has none that receives events, with a due delivery
    world.endpoint()
    await world.create()
    world.sender.will_answer(500)
    await world.notify(world.message(PAYOUT_CREATED))
    world.stored_endpoint().disable(START)
    world.clock.advance(SECOND)
    await world.create("p-2")
    batch = [
        endpoint_message(PING_REQUESTED, "we_1", message_id="msg-ping"),
        world.message(PAYOUT_CREATED, "p-2"),
        endpoint_message(DELIVERIES_REQUESTED, "we_1", message_id="msg-asked"),
    ]

    # When one message brings a ping, the user's payout event and a request for deliveries
    applied = await world.notify(*batch)

    # Then the ping went, the payout event was skipped, and the request drained nothing of a
    # disabled endpoint
    assert [p.body["type"] for p in world.sender.posts[1:]] == [PING]
    assert applied == 2
    assert len(world.deliveries()) == 1

    # and once enabled again, the same kind of request in a batch drains its deliveries
    assert world.stored_endpoint().enable(world.clock.now())
    await world.notify(endpoint_message(DELIVERIES_REQUESTED, "we_1", message_id="msg-again"))
    assert world.deliveries()[0].status is DeliveryStatus.DELIVERED
