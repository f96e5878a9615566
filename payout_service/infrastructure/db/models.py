"""The schema, as Tortoise models. aerich derives the MySQL migrations from these.

Repositories read and write these tables with plain SQL through Tortoise's connections (the hot
path needs one round trip per statement and no model hydration); the models are the schema's one
source of truth. Timestamps are naive UTC.
"""

from tortoise import fields
from tortoise.models import Model


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
    prefix = fields.CharField(max_length=16)
    label = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

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
    """Append-only: rows are inserted, never updated or deleted."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="entries", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=16)
    amount_minor = fields.BigIntField()
    payout_id = fields.CharField(max_length=36, null=True, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "account_ledger_entries"


class Payout(Model):
    id = fields.CharField(max_length=36, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="payouts", on_delete=fields.RESTRICT
    )
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=8)
    wallet = fields.CharField(max_length=255)
    external_reference = fields.CharField(max_length=128)
    status = fields.CharField(max_length=16, db_index=True)
    provider_payout_id = fields.CharField(max_length=128, null=True, unique=True)
    provider_status = fields.CharField(max_length=32, null=True)
    send_attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    next_retry_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "payouts"
        unique_together = (("user", "external_reference"),)
        indexes = (("user", "created_at", "id"),)


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
