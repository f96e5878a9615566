"""The stand-in payment provider: a separate aiohttp app that behaves like the real one.

It implements the provider's contract (`POST /provider/payouts` with an Idempotency-Key,
`GET /provider/payouts/{id}`), misbehaves on request (MOCK_PROVIDER_MODE, or the X-Mock-Mode
header per request), and after accepting a payout delivers signed webhooks to the service, as a
real provider would. `payout-service provider-mock` serves it.
"""
