"""The one place where domain and use-case errors become HTTP problems."""

from __future__ import annotations

from payout_service.application import errors as app
from payout_service.application.batch_csv import CsvUnreadable
from payout_service.application.create_payout_batch import BatchRejected, BatchTooLarge
from payout_service.application.ports import TransactionConflict
from payout_service.domain import errors as domain
from payout_service.web.problems import Problem, field_error, validation_problem


def problem_for(exc: Exception) -> Problem | None:
    detail = str(exc)
    match exc:
        case domain.InvalidAmount():
            return validation_problem([field_error("amount", detail)])
        case domain.UnknownCurrency():
            return validation_problem([field_error("currency", detail)])
        case domain.InsufficientFunds():
            return Problem(422, "insufficient_funds", "Insufficient funds", detail)
        case domain.IllegalTransition():
            return Problem(409, "illegal_transition", "Payout state conflict", detail)
        case app.AccountNotFound():
            return Problem(422, "account_not_found", "No account in this currency", detail)
        case app.Forbidden():
            return Problem(403, "forbidden", "Forbidden", detail)
        case app.NotFound():
            return Problem(404, "not_found", "Not found", detail)
        case app.IdempotencyKeyReused():
            return Problem(422, "idempotency_key_reused", "Idempotency-Key reused", detail)
        case app.IdempotencyKeyInFlight():
            return Problem(
                409,
                "idempotency_key_in_flight",
                "Request in progress",
                detail,
                None,
                {"Retry-After": "1"},
            )
        case app.BatchCancelInProgress():
            return Problem(
                409,
                "batch_cancel_in_progress",
                "Batch cancel in progress",
                detail,
                None,
                {"Retry-After": "5"},
            )
        case app.DuplicateReference():
            return Problem(409, "duplicate_external_reference", "Duplicate reference", detail)
        case app.PayoutNotCancellable():
            return Problem(409, "payout_not_cancellable", "Payout cannot be cancelled", detail)
        case app.EndpointUrlRefused():
            return validation_problem([field_error("url", detail)])
        case app.EndpointLimitReached():
            return Problem(409, "endpoint_limit_reached", "Too many webhook endpoints", detail)
        case BatchRejected():
            # detail: the count, for people; errors: every item's problem, for the client's fix
            errors = [e.as_dict() for e in exc.errors]
            return Problem(422, "batch_rejected", "Batch rejected", detail, errors)
        case BatchTooLarge():
            # the item count, not the body's bytes (those are a 413): a 422 on the items field
            return validation_problem([field_error("items", detail)])
        case CsvUnreadable():
            return Problem(400, "csv_unreadable", "Unreadable CSV", detail)
        case TransactionConflict():
            # nothing of the request stayed: the same request (the same Idempotency-Key) again
            return Problem(
                503,
                "transaction_conflict",
                "Busy, try again",
                "the request waited too long for records other requests were changing;"
                " nothing was changed: send it again",
                None,
                {"Retry-After": "1"},
            )
    return None
