import asyncio

from payout_service.application.call_groups import CallGroups


class Server:
    """Answers each call with its double, recording the groups it was given; `gate`, while
    unset, holds a group in hand."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def serve(self, calls: list[int]) -> list[int | None]:
        self.groups.append(calls)
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("the group's transaction failed")
        return [c * 2 for c in calls]


async def test_calls_made_together_are_served_as_one_group():
    server = Server()
    groups = CallGroups(server.serve, max_size=10)
    answers = await asyncio.gather(*(groups.call(n) for n in range(5)))
    assert answers == [0, 2, 4, 6, 8]
    assert server.groups == [[0, 1, 2, 3, 4]]


async def test_calls_arriving_while_a_group_runs_form_the_next_group():
    server = Server()
    server.gate.clear()
    groups = CallGroups(server.serve, max_size=10)
    first = asyncio.ensure_future(groups.call(1))
    await asyncio.sleep(0)  # the first group is in hand
    later = [asyncio.ensure_future(groups.call(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    assert server.groups == [[1]]
    server.gate.set()
    assert await first == 2
    assert [await c for c in later] == [4, 6]
    assert server.groups == [[1], [2, 3]]


async def test_a_group_is_never_larger_than_its_max_size():
    server = Server()
    groups = CallGroups(server.serve, max_size=2)
    assert await asyncio.gather(*(groups.call(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert server.groups == [[0, 1], [2, 3], [4]]


async def test_a_failed_group_answers_none_to_each_call_and_the_next_group_runs():
    server = Server()
    server.fail = True
    groups = CallGroups(server.serve, max_size=10)
    assert await asyncio.gather(*(groups.call(n) for n in range(3))) == [None] * 3
    server.fail = False
    assert await groups.call(7) == 14


async def test_a_caller_that_stops_waiting_leaves_its_call_in_the_group():
    server = Server()
    server.gate.clear()
    groups = CallGroups(server.serve, max_size=10)
    impatient = asyncio.ensure_future(groups.call(1))
    patient = asyncio.ensure_future(groups.call(2))
    await asyncio.sleep(0)
    impatient.cancel()
    server.gate.set()
    assert await patient == 4
    assert server.groups == [[1, 2]]
