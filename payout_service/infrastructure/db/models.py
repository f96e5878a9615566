"""The schema, as Tortoise models. aerich derives the MySQL migrations from these.

Repositories read and write these tables with plain SQL through Tortoise's connections (the hot
path needs one round trip per statement and no model hydration); the models are the schema's one
source of truth. Timestamps are naive UTC.
"""

from tortoise import fields
from tortoise.models import Model

from payout_service.application.operator_input import MAX_CREDIT_REFERENCE
from payout_service.domain.failure_codes import MAX_PROVIDER_CODE_LENGTH


class User(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=255)
    created_at = fields.DatetimeField()

    class Meta:
        table = "users"


class ApiKey(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys", on_delete=fields.RESTRICT
    )
    key_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=16, db_index=True)  # `api-key revoke PREFIX` finds it
    label = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # Written at most once a minute per key and web process (application.authenticate).
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"


class UserAccount(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="accounts", on_delete=fields.RESTRICT
    )
    currency = fields.CharField(max_length=8)
    balance_minor = fields.BigIntField(default=0)
    held_minor = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "user_accounts"
        unique_together = (("user", "currency"),)


class AccountLedgerEntry(Model):
    """One line of a double-entry posting (domain.accounts). Append-only: rows are inserted,
    never updated or deleted. A posting is two lines with the same posting_id, one debit and one
    credit of the same amount; account NULL is the provider clearing account of `currency`."""

    id = fields.BigIntField(primary_key=True)
    posting_id = fields.CharField(max_length=36, db_index=True)
    account: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="entries", on_delete=fields.RESTRICT, null=True
    )
    currency = fields.CharField(max_length=8)
    direction = fields.CharField(max_length=6)
    kind = fields.CharField(max_length=16)
    amount_minor = fields.BigIntField()
    payout_id = fields.CharField(max_length=36, null=True, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "account_ledger_entries"


class AccountCreditRow(Model):
    """Money an operator credited to a user account (payout-service accounts credit), once per
    reference: the same reference again is recognised, never paid twice. Its deposit posting is
    the lines of posting_id; the row, the posting and the new balance commit together."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="credits", on_delete=fields.RESTRICT
    )
    reference = fields.CharField(max_length=MAX_CREDIT_REFERENCE)
    amount_minor = fields.BigIntField()
    posting_id = fields.CharField(max_length=36)
    created_at = fields.DatetimeField()

    class Meta:
        table = "account_credits"
        unique_together = (("account", "reference"),)


class Payout(Model):
    id = fields.CharField(max_length=36, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="payouts", on_delete=fields.RESTRICT
    )
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=8)
    wallet = fields.CharField(max_length=255)
    external_reference = fields.CharField(max_length=128)
    status = fields.CharField(max_length=16)  # indexed first in (status, completed_at, id)
    provider_payout_id = fields.CharField(max_length=128, null=True, unique=True)
    provider_status = fields.CharField(max_length=32, null=True)
    send_attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    next_retry_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    provider_status_at = fields.DatetimeField(null=True)
    # Sending stopped without knowing whether the provider holds it: an operator must check.
    needs_review = fields.BooleanField(default=False, db_index=True)
    review_reason = fields.TextField(null=True)
    review_since = fields.DatetimeField(null=True)
    # Why it failed, was cancelled or came back (domain.failure_codes), for the client.
    failure_code = fields.CharField(max_length=32, null=True)
    failure_message = fields.CharField(max_length=255, null=True)
    returned_at = fields.DatetimeField(null=True)
    # +1 per client-visible change (the payout_version of its client events).
    version = fields.IntField(default=0)
    # The batch it came in (payout_batches), indexed with status for the batch counts.
    batch_id = fields.CharField(max_length=36, null=True)
    metadata = fields.TextField(null=True)  # a JSON object of strings, as the client gave it
    # Indexed for `provider audit`, which walks every user's payouts by creation.
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "payouts"
        unique_together = (("user", "external_reference"),)
        # (status, completed_at, id): reconciliation walks the successful ones within the
        # return window in this order (RECONCILE_RETURN_WINDOW_DAYS).
        indexes = (
            ("user", "created_at", "id"),
            ("status", "completed_at", "id"),
            ("batch_id", "status"),
        )


class PayoutBatchRow(Model):
    """A payout batch (domain.payout_batch.PayoutBatch). Its items are the payouts of its id;
    the counters of ended items move under this row lock, taken last in a transaction."""

    id = fields.CharField(max_length=36, primary_key=True)
    user_id = fields.BigIntField()
    mode = fields.CharField(max_length=16)
    status = fields.CharField(max_length=20)
    item_count = fields.IntField()
    totals = fields.TextField()  # JSON: per currency, the count and sum of its items
    succeeded = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    cancelled = fields.IntField(default=0)
    returned = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payout_batches"
        indexes = (("user_id", "created_at", "id"),)


class PayoutSendAttempt(Model):
    """One call to the provider for a payout: opened (result `sending`) before the call, closed
    with its answer. `unknown`: the sender stopped before the answer came."""

    id = fields.BigIntField(primary_key=True)
    payout: fields.ForeignKeyRelation[Payout] = fields.ForeignKeyField(
        "models.Payout", related_name="attempts", on_delete=fields.RESTRICT
    )
    attempt = fields.IntField()
    result = fields.CharField(max_length=16)
    http_status = fields.IntField(null=True)
    error_type = fields.CharField(max_length=32, null=True)
    error_message = fields.TextField(null=True)
    provider_payout_id = fields.CharField(max_length=128, null=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payout_send_attempts"
        unique_together = (("payout", "attempt"),)


class IdempotencyKey(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="idempotency_keys", on_delete=fields.RESTRICT
    )
    key = fields.CharField(max_length=255)
    fingerprint = fields.CharField(max_length=64)
    response_status = fields.IntField()
    response_body = fields.TextField()
    payout_id = fields.CharField(max_length=36)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("user", "key"),)


class OutboxMessage(Model):
    """A domain event waiting to be published; id order is write order."""

    id = fields.BigIntField(primary_key=True)
    message_id = fields.CharField(max_length=36, unique=True)
    event_name = fields.CharField(max_length=64)
    aggregate_type = fields.CharField(max_length=32)
    aggregate_id = fields.CharField(max_length=64, db_index=True)
    payload = fields.TextField()
    headers = fields.TextField()
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    available_at = fields.DatetimeField()
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_messages"
        indexes = (("status", "available_at", "id"),)


class ProcessedMessage(Model):
    """The consumer inbox: a message id a consumer has applied, written with its effect."""

    id = fields.BigIntField(primary_key=True)
    consumer = fields.CharField(max_length=64)
    message_id = fields.CharField(max_length=64)
    processed_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "processed_messages"
        unique_together = (("consumer", "message_id"),)


class AuditLog(Model):
    """One row per consumed domain event."""

    id = fields.BigIntField(primary_key=True)
    message_id = fields.CharField(max_length=64, unique=True)
    event_name = fields.CharField(max_length=64)
    aggregate_type = fields.CharField(max_length=32)
    aggregate_id = fields.CharField(max_length=64, db_index=True)
    payload = fields.TextField()
    request_id = fields.CharField(max_length=128, null=True)
    occurred_at = fields.DatetimeField()
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "audit_logs"


class ProviderWebhookEvent(Model):
    """The webhook inbox: each provider event once (event_id unique), as received, and what
    applying it did. processed_at is NULL until an inbox pass applied it."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=128, unique=True)
    provider_payout_id = fields.CharField(max_length=128, null=True, db_index=True)
    # Our payout id, as the provider keeps it.
    reference = fields.CharField(max_length=128, null=True)
    status = fields.CharField(max_length=16)
    occurred_at = fields.DatetimeField()
    # The provider's code of a failure or a return, as it sent it.
    failure_code = fields.CharField(max_length=MAX_PROVIDER_CODE_LENGTH, null=True)
    payload = fields.TextField()
    payload_hash = fields.CharField(max_length=64)
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True, db_index=True)
    result = fields.CharField(max_length=32)
    payout_id = fields.CharField(max_length=36, null=True, db_index=True)
    detail = fields.TextField(null=True)

    class Meta:
        table = "provider_webhook_events"


class ProviderWebhookConflict(Model):
    """A payload that arrived under an event_id the inbox already holds with another payload:
    kept for an operator, never applied."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=128)
    payload = fields.TextField()
    payload_hash = fields.CharField(max_length=64)
    received_at = fields.DatetimeField()

    class Meta:
        table = "provider_webhook_conflicts"
        unique_together = (("event_id", "payload_hash"),)


class ProviderAudit(Model):
    """One `payout-service provider audit` run: how many payouts it compared with the provider
    and its disagreements by kind (a JSON object), for the provider_disagreements gauge."""

    id = fields.BigIntField(primary_key=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField()
    checked = fields.IntField()
    unanswered = fields.IntField()
    disagreements = fields.TextField()

    class Meta:
        table = "provider_audits"


class UserEventSequence(Model):
    """The sequence of the last client event of each user: the counter each new event takes the
    next number from, under this row lock, so the events of a user are numbered without a gap.
    Apart from users: a payout insert holds a shared lock on its users row (the foreign key),
    and two such transactions upgrading it to write the counter would deadlock."""

    user_id = fields.BigIntField(primary_key=True, generated=False)
    last_sequence = fields.BigIntField()

    class Meta:
        table = "user_event_sequences"


class ClientEventRow(Model):
    """The public event log (domain.client_events.ClientEvent): the events of each user numbered
    1, 2, 3 and on by `sequence`; `data` is the payout as the API showed it at payout_version."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=40, unique=True)
    type = fields.CharField(max_length=40)
    user_id = fields.BigIntField()
    sequence = fields.BigIntField()
    payout_id = fields.CharField(max_length=36, null=True)
    payout_version = fields.IntField(null=True)
    created_at = fields.DatetimeField(db_index=True)
    data = fields.TextField()

    class Meta:
        table = "client_events"
        unique_together = (("user_id", "sequence"), ("payout_id", "payout_version"))


class WebhookEndpointRow(Model):
    """The webhook endpoints of users (domain.client_events.WebhookEndpoint)."""

    id = fields.CharField(max_length=40, primary_key=True)
    user_id = fields.BigIntField(db_index=True)
    url = fields.CharField(max_length=2048)
    event_types = fields.TextField()  # a JSON list
    description = fields.CharField(max_length=255)
    secret = fields.CharField(max_length=128)
    previous_secret = fields.CharField(max_length=128, null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    state = fields.CharField(max_length=16)
    failing_since = fields.DatetimeField(null=True)
    after_sequence = fields.BigIntField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "webhook_endpoints"


class WebhookDeliveryRow(Model):
    """One client event to one endpoint, until delivered or given up. `chain`: the payout id
    (or, for an event of no payout, the event id): the deliveries of one chain to an endpoint go out
    one at a time, in chain_position order."""

    id = fields.BigIntField(primary_key=True)
    endpoint_id = fields.CharField(max_length=40)
    event_id = fields.CharField(max_length=40)
    sequence = fields.BigIntField()
    chain = fields.CharField(max_length=40)
    chain_position = fields.IntField()
    status = fields.CharField(max_length=16)  # pending, delivered, failed
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    leased_until = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("endpoint_id", "event_id"),)
        indexes = (
            ("endpoint_id", "chain", "status", "chain_position"),
            ("status", "next_attempt_at"),
            ("endpoint_id", "status", "id"),
        )


class WebhookDeliveryAttempt(Model):
    """Each POST of a delivery: when, its status code, how long it took, what failed."""

    id = fields.BigIntField(primary_key=True)
    delivery_id = fields.BigIntField(db_index=True)
    attempted_at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    latency_ms = fields.IntField()
    error = fields.TextField(null=True)

    class Meta:
        table = "webhook_delivery_attempts"
