"""Failures of a use case that are not domain rules; the web edge maps each to a problem."""


class ApplicationError(Exception):
    """Base of the use cases' own refusals."""


class NotFound(ApplicationError):
    """The thing does not exist, or belongs to someone else (the two are never told apart)."""


class Forbidden(ApplicationError):
    """The caller is known but may not act for the user it names."""


class IdempotencyKeyReused(ApplicationError):
    """The key was already used with a different request body."""


class IdempotencyKeyInFlight(ApplicationError):
    """Another request with the same key has not finished yet."""


class DuplicateReference(ApplicationError):
    """The user already has a payout with this external_reference (under another key)."""


class AccountNotFound(ApplicationError):
    """The user holds no account in the payout's currency."""


class PayoutNotCancellable(ApplicationError):
    """The provider already accepted the payout, or it reached a final state."""


class ReviewNotResolved(ApplicationError):
    """An operator's resolution was refused: the provider's word is missing or contradicts it."""


class EndpointUrlRefused(ApplicationError):
    """A webhook endpoint may not point there (its scheme, credentials, or an address the
    settings do not allow); the message says why, for the client."""


class EndpointLimitReached(ApplicationError):
    """The user has as many webhook endpoints as one may have."""


class BatchCancelInProgress(ApplicationError):
    """A cancel of this batch is still running (a client retrying a slow one): it answers for
    every item; a second one would only race it item by item."""
