"""The stand-in payment provider: a separate aiohttp app that behaves like a real one, meanness
included.

It implements the provider's contract (app.py: `POST /provider/payouts` with an Idempotency-Key,
`GET /provider/payouts/{id}`, `GET /provider/payouts?reference=`), misbehaves on request
(modes.py: MOCK_PROVIDER_MODE, or the X-Mock-Mode header per request), and after taking a payout
delivers signed webhooks to the service, duplicated and out of order at times (webhooks.py). A
share of its successful payouts comes back later, returned with a failure code
(MOCK_PROVIDER_RETURN_PERCENT, provider.py). With MOCK_PROVIDER_DB_PATH its payouts survive its
restart (store.py). `payout-service provider-mock` serves it.
"""
