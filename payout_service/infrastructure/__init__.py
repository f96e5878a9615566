"""Adapters: the database, the broker, the provider's HTTP API, metrics and settings."""
