"""Every SQL statement of the create-payout transaction; CreatePayout decides their order.

bench/create_payout.py replays exactly these statements, in the use case's order, through plain
asyncmy to measure the raw limit the API is compared with, so they live here, once; before it
measures, it checks its transaction against the one CreatePayout issues and stops if they differ.
"""

FIND_IDEMPOTENCY_KEY = (
    "SELECT fingerprint, response_status, response_body, expires_at"
    " FROM idempotency_keys WHERE user_id = %s AND `key` = %s"
)
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
INSERT_PAYOUT = (
    "INSERT INTO payouts (id, user_id, amount_minor, currency, wallet, external_reference, status,"
    " provider_payout_id, provider_status, send_attempts, last_error, next_retry_at, completed_at,"
    " needs_review, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
INSERT_IDEMPOTENCY_KEY = (
    "INSERT INTO idempotency_keys (user_id, `key`, fingerprint, response_status, response_body,"
    " payout_id, created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
INSERT_OUTBOX_MESSAGE = (
    "INSERT INTO outbox_messages (message_id, event_name, aggregate_type, aggregate_id, payload,"
    " headers, status, attempts, available_at, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0, %s, %s)"
)
