"""A failed delivery waits 1 s, then twice as long each time up to an hour, with jitter, and is
tried until its retry window closes: the last try falls on its end, and a failure then gives up."""

from datetime import timedelta

from payout_service.application.delivery_schedule import DeliverySchedule
from tests.unit.fakes import START

WINDOW = timedelta(hours=72)


def waits(schedule: DeliverySchedule, attempts: int) -> list[float]:
    return [
        (schedule.next_attempt(START, n, START) - START).total_seconds()  # type: ignore[operator]
        for n in range(1, attempts + 1)
    ]


def test_waits_double_from_a_second_up_to_an_hour() -> None:
    schedule = DeliverySchedule(retry_for=WINDOW, uniform=lambda: 0.5)
    assert waits(schedule, 14) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]


def test_jitter_spreads_a_wait_by_a_fifth_either_way_never_past_the_cap() -> None:
    assert waits(DeliverySchedule(retry_for=WINDOW, uniform=lambda: 0.0), 3) == [0.8, 1.6, 3.2]
    assert waits(DeliverySchedule(retry_for=WINDOW, uniform=lambda: 0.9999), 1)[0] < 1.2
    assert waits(DeliverySchedule(retry_for=WINDOW, uniform=lambda: 0.9999), 20)[-1] == 3600


def test_the_last_try_falls_on_the_end_of_the_window_and_a_failure_then_gives_up() -> None:
    schedule = DeliverySchedule(retry_for=WINDOW, uniform=lambda: 0.5)
    near_the_end = START + WINDOW - timedelta(minutes=10)
    assert schedule.next_attempt(START, 80, near_the_end) == START + WINDOW
    assert schedule.next_attempt(START, 81, START + WINDOW) is None
