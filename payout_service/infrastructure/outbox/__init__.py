"""The transactional outbox's moving part: claim committed rows, publish them, mark them."""
