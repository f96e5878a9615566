"""MockMode: how the mock provider answers one `POST /provider/payouts`, as mean as real ones.

Outages, nothing taken:
- rate_limit: 429 with Retry-After;
- server_error: 503.
Taken (a new payout is accepted and its life starts; a known key keeps its one payout), then:
- success: 202, the contract's answer;
- timeout_after_commit: the 202 only after `stall`, past the client's timeout, so the client
  never learns that the payout was taken;
- server_error_after_commit: 500;
- malformed_success: 200 with a body that breaks the contract (no provider_payout_id).
Refusals:
- conflict_on_retry: a retry under a key the provider already holds gets 409 `conflict`; a new
  key is accepted as in success;
- permanent_error: 400 `payout_rejected` for a new payout (a known key still gets its answer).
random: one of all the above per request, drawn with RANDOM_MIX's weights, mostly success.
"""

from __future__ import annotations

import random
from enum import StrEnum


class MockMode(StrEnum):
    SUCCESS = "success"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    SERVER_ERROR_AFTER_COMMIT = "server_error_after_commit"
    MALFORMED_SUCCESS = "malformed_success"
    CONFLICT_ON_RETRY = "conflict_on_retry"
    PERMANENT_ERROR = "permanent_error"
    RANDOM = "random"


# What `random` picks from, and how often (percent).
RANDOM_MIX = {
    MockMode.SUCCESS: 60,
    MockMode.RATE_LIMIT: 8,
    MockMode.SERVER_ERROR: 8,
    MockMode.TIMEOUT_AFTER_COMMIT: 5,
    MockMode.SERVER_ERROR_AFTER_COMMIT: 5,
    MockMode.MALFORMED_SUCCESS: 4,
    MockMode.CONFLICT_ON_RETRY: 5,
    MockMode.PERMANENT_ERROR: 5,
}

# The share of webhooks duplicated, and of `processing` webhooks held back until after the
# payout's final one, in random mode unless configured otherwise.
RANDOM_WEBHOOK_FAULT_PERCENT = 10


def draw_mode(rng: random.Random) -> MockMode:
    """One concrete mode for a request in random mode."""
    return rng.choices(list(RANDOM_MIX), weights=list(RANDOM_MIX.values()))[0]
