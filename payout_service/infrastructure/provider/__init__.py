"""The payment provider's HTTP API behind the ProviderClient port."""
