"""The provider-send actors on the `provider-send` queue.

`send_payout` consumes payout.created and sends the payout to the provider. Its retries are
Dramatiq's Retries middleware: the use case says how long to wait (SendRetryLater, turned into
dramatiq.Retry with that delay, so the payout's next_retry_at is the real one); a permanent
refusal is in `throws`, never retried; when the retries run out, `give_up_sending` fails the
payout. The retry options come from the settings, read once when the worker boots.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from actors import runtime
from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.application.messages import Envelope
from payout_service.application.ports import ProviderPermanentError
from payout_service.application.send_payout import SendOutcome, SendRetryLater
from payout_service.bootstrap import send_retry_policy
from payout_service.infrastructure.logs import log_context

GIVE_UP = "give_up_sending"
_policy = send_retry_policy(runtime.settings())


@dramatiq.actor(
    actor_name=PROVIDER_SEND.name,
    queue_name=PROVIDER_SEND.queue,
    max_retries=_policy.max_retries,
    min_backoff=int(_policy.first_delay.total_seconds() * 1000),
    max_backoff=int(_policy.max_delay.total_seconds() * 1000),
    throws=(ProviderPermanentError,),
    on_retry_exhausted=GIVE_UP,
    abortable=True,
)
@runtime.consumer
async def send_payout(envelope: dict[str, Any]) -> bool:
    services = await runtime.services()
    message = CurrentMessage.get_current_message()
    retries = int(message.options.get("retries", 0)) if message is not None else 0
    try:
        outcome = await services.send_payout(Envelope.from_dict(envelope), retries)
    except SendRetryLater as later:
        delay_ms = int(later.delay.total_seconds() * 1000)
        raise dramatiq.Retry(str(later), delay=delay_ms) from later
    return outcome is SendOutcome.ACCEPTED


@dramatiq.actor(actor_name=GIVE_UP, queue_name=PROVIDER_SEND.queue)
async def give_up_sending(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
    """Dramatiq's on_retry_exhausted call: the exhausted message and how often it was retried."""
    envelope = Envelope.from_dict(message["kwargs"]["envelope"])
    traceback = str(message.get("options", {}).get("traceback", "")).strip()
    last_error = traceback.splitlines()[-1] if traceback else "retries exhausted"
    with log_context(
        request_id=envelope.headers.get("request_id"),
        payout_id=envelope.aggregate_id,
        message_id=envelope.message_id,
        actor=GIVE_UP,
    ):
        services = await runtime.services()
        await services.give_up_sending(
            envelope.aggregate_id, int(retry_info["retries"]) + 1, last_error, envelope.headers
        )
