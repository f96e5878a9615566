"""A measured figure beside the limit it is judged against, and the markdown report of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """`figure` and `limit` share `unit`; `target` is the least figure/limit ratio we aim for,
    or, when `lower_is_better` (a latency against its ceiling), the greatest.

    A benchmark reports a Figure whether or not it meets the target: timing is never asserted.
    """

    what: str
    figure: float
    limit: float
    unit: str
    target: float
    note: str = ""
    lower_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.figure / self.limit if self.limit else 0.0

    @property
    def meets_target(self) -> bool:
        if self.lower_is_better:
            return self.ratio <= self.target
        return self.ratio >= self.target


def markdown_table(figures: Sequence[Figure]) -> str:
    lines = [
        "| what | figure | limit | ratio | target |",
        "|---|---:|---:|---:|---|",
    ]
    for f in figures:
        verdict = "met" if f.meets_target else "**missed**"
        lines.append(
            f"| {f.what} | {f.figure:,.0f} {f.unit} | {f.limit:,.0f} {f.unit} "
            f"| {f.ratio:.0%} | {'≤' if f.lower_is_better else '≥'} {f.target:.0%} ({verdict}) |"
        )
    notes = [f"- {f.what}: {f.note}" for f in figures if f.note]
    return "\n".join([*lines, "", *notes] if notes else lines) + "\n"
