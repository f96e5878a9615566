"""A batch's items as the client sent them (a JSON array or CSV rows), checked one by one.

Every problem is an ItemError naming the item by its index (from 0, in the order sent) and the
field, so a finance team can fix its file in one go: all of them are reported, not the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from payout_service.application.payout_fields import metadata_problem, text_problem
from payout_service.domain.errors import InvalidAmount, UnknownCurrency
from payout_service.domain.money import Money, currency

ITEM_FIELDS = ("amount", "currency", "wallet", "external_reference")
OPTIONAL_ITEM_FIELDS = ("metadata",)


@dataclass(frozen=True, slots=True)
class ItemError:
    """`field` is None for a problem of the whole item (not an object)."""

    index: int
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class UnreadableRow:
    """A CSV row that is no item (its field count is wrong), kept in its place to be reported."""

    reason: str


@dataclass(frozen=True, slots=True)
class ValidItem:
    index: int
    amount: Money
    wallet: str
    external_reference: str
    metadata: dict[str, str] = field(default_factory=dict)


def read_items(raw_items: Sequence[Any], max_major: int) -> tuple[list[ValidItem], list[ItemError]]:
    """The items that pass every check of their own, and the problems of the others; then each
    external_reference used again later in the batch is an error of the later item."""
    valid: list[ValidItem] = []
    errors: list[ItemError] = []
    first_with: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        item, problems = _read_item(index, raw, max_major)
        if item is not None:
            earlier = first_with.setdefault(item.external_reference, index)
            if earlier != index:
                problems = [
                    ItemError(
                        index,
                        "external_reference",
                        "duplicate_external_reference",
                        f"item {earlier} of this batch has the same external_reference",
                    )
                ]
                item = None
        if item is not None:
            valid.append(item)
        errors += problems
    return valid, errors


def _read_item(index: int, raw: Any, max_major: int) -> tuple[ValidItem | None, list[ItemError]]:
    if isinstance(raw, UnreadableRow):
        return None, [ItemError(index, None, "invalid_item", raw.reason)]
    if not isinstance(raw, Mapping):
        return None, [ItemError(index, None, "invalid_item", "each item must be an object")]
    known = (*ITEM_FIELDS, *OPTIONAL_ITEM_FIELDS)
    errors = [
        ItemError(index, str(name), "unknown_field", "unknown field")
        for name in raw
        if name not in known
    ]
    for name in ITEM_FIELDS:
        problem = text_problem(name, raw.get(name))
        if problem is not None:
            errors.append(ItemError(index, name, "invalid_field", problem))
    metadata = raw.get("metadata", {})
    if "metadata" in raw and (problem := metadata_problem(metadata)) is not None:
        errors.append(ItemError(index, "metadata", "invalid_field", problem))
    if errors:
        return None, errors
    try:
        code = currency(raw["currency"]).code
    except UnknownCurrency as exc:
        return None, [ItemError(index, "currency", "unknown_currency", str(exc))]
    try:
        max_minor = max_major * 10 ** currency(code).exponent
        amount = Money.parse(raw["amount"], code, max_minor)
    except InvalidAmount as exc:
        return None, [ItemError(index, "amount", "invalid_amount", str(exc))]
    return ValidItem(index, amount, raw["wallet"], raw["external_reference"], metadata), []
