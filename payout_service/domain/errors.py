"""The domain's own failures; the web edge maps each to an HTTP problem once."""


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""


class InvalidAmount(DomainError):
    """An amount that is not a positive number of the currency's minor units within the limit."""


class UnknownCurrency(DomainError):
    """A currency code the registry does not list."""


class IllegalTransition(DomainError):
    """A payout asked to move to a status its state machine does not allow from where it is."""

    def __init__(self, payout_id: str, current: str, target: str) -> None:
        super().__init__(f"payout {payout_id} cannot go from {current} to {target}")
        self.payout_id = payout_id
        self.current = current
        self.target = target


class InsufficientFunds(DomainError):
    """The account's available balance cannot cover the hold."""

    def __init__(self, available_minor: int, requested_minor: int) -> None:
        super().__init__(
            f"available balance {available_minor} is less than the requested {requested_minor}"
        )
        self.available_minor = available_minor
        self.requested_minor = requested_minor
