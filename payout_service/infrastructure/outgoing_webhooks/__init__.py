"""Webhooks to the clients' endpoints: where they may go, and how they are delivered."""
