"""The HTTP edge: aiohttp app, auth, request parsing and RFC 9457 problems."""
