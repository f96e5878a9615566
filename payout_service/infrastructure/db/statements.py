"""Every SQL statement of the create-payout transaction; CreatePayout decides their order.

bench/create_payout.py replays exactly these statements, in the use case's order, through plain
asyncmy to measure the raw limit the API is compared with, so they live here, once; before it
measures, it checks its transaction against the one CreatePayout issues and stops if they differ.
"""

FIND_IDEMPOTENCY_KEY = (
    "SELECT fingerprint, response_status, response_body, expires_at"
    " FROM idempotency_keys WHERE user_id = %s AND `key` = %s"
)
# user_accounts' unique (user_id, currency), as the first migration names it.
ACCOUNT_KEY_INDEX = "uid_user_accoun_user_id_11f67f"
LOCK_ACCOUNT = (
    "SELECT id, user_id, currency, balance_minor, held_minor"
    " FROM user_accounts WHERE user_id = %s AND currency = %s"
)
UPDATE_ACCOUNT_BALANCES = (
    "UPDATE user_accounts SET balance_minor = %s, held_minor = %s, updated_at = %s WHERE id = %s"
)
# A double-entry posting: its two lines (user account, clearing account) in one statement.
INSERT_LEDGER_POSTING = (
    "INSERT INTO account_ledger_entries (posting_id, account_id, currency, direction, kind,"
    " amount_minor, payout_id, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s, %s)"
)
# A user's client-event counter moved on by a count, created at the user's first event (MySQL);
# the row stays locked to the transaction's end. The new last sequence comes back as the
# statement's insert id, or 0 when the row was new (it then holds the count).
TAKE_EVENT_SEQUENCES = (
    "INSERT INTO user_event_sequences (user_id, last_sequence) VALUES (%s, %s)"
    " ON DUPLICATE KEY UPDATE last_sequence = LAST_INSERT_ID(last_sequence + VALUES(last_sequence))"
)
# The same, answering in the one integer LAST_INSERT_ID carries whether the user has an endpoint
# not disabled: (new last sequence) * 2 + (1 if so). The subquery of a write is a locking read
# on InnoDB (as committed now, its rows share-locked until the transaction ends), taken after
# the counter's row, in the order every writer of a user's events takes them.
TAKE_EVENT_SEQUENCES_HEARD = (
    "INSERT INTO user_event_sequences (user_id, last_sequence) VALUES (%s, %s)"
    " ON DUPLICATE KEY UPDATE last_sequence = LAST_INSERT_ID("
    "(last_sequence + VALUES(last_sequence)) * 2 + EXISTS(SELECT 1 FROM webhook_endpoints"
    " WHERE user_id = %s AND state <> %s LOCK IN SHARE MODE)) DIV 2"
)
# A payout's columns, the one list its INSERT, SELECTs and UPDATE are built from (payouts.py maps
# them to the Payout); tests/integration/test_migrations.py checks it against the model.
PAYOUT_COLUMNS = (
    "id",
    "user_id",
    "amount_minor",
    "currency",
    "wallet",
    "external_reference",
    "status",
    "provider_payout_id",
    "provider_status",
    "send_attempts",
    "last_error",
    "next_retry_at",
    "completed_at",
    "needs_review",
    "created_at",
    "updated_at",
    "provider_status_at",
    "review_reason",
    "review_since",
    "failure_code",
    "failure_message",
    "returned_at",
    "version",
    "batch_id",
    "metadata",
)
# What changes after creation; the rest is fixed when the payout is created.
PAYOUT_FIXED_COLUMNS = frozenset(
    {
        "id",
        "user_id",
        "amount_minor",
        "currency",
        "wallet",
        "external_reference",
        "created_at",
        "batch_id",
        "metadata",
    }
)
PAYOUT_CHANGING_COLUMNS = tuple(c for c in PAYOUT_COLUMNS if c not in PAYOUT_FIXED_COLUMNS)
INSERT_PAYOUT = (
    f"INSERT INTO payouts ({', '.join(PAYOUT_COLUMNS)})"
    f" VALUES ({', '.join(['%s'] * len(PAYOUT_COLUMNS))})"
)
INSERT_IDEMPOTENCY_KEY = (
    "INSERT INTO idempotency_keys (user_id, `key`, fingerprint, response_status, response_body,"
    " payout_id, created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)


def insert_idempotency_keys(count: int) -> str:
    """INSERT_IDEMPOTENCY_KEY of `count` rows."""
    return INSERT_IDEMPOTENCY_KEY + ", (%s, %s, %s, %s, %s, %s, %s, %s)" * (count - 1)


INSERT_OUTBOX_MESSAGE = (
    "INSERT INTO outbox_messages (message_id, event_name, aggregate_type, aggregate_id, payload,"
    " headers, status, attempts, available_at, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0, %s, %s)"
)
