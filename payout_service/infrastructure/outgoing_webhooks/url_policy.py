"""UrlPolicy: which URLs a client's webhook endpoint may have, checked at registration and, by
the resolver, at every delivery (a name may resolve elsewhere tomorrow: DNS rebinding).

- https:// only; http:// only to a loopback address when `allow_http_loopback`;
- no user:password in the URL, a host, a port in range, at most 2048 characters;
- every address the host resolves to must be public: loopback only with `allow_http_loopback`,
  private networks (RFC 1918, unique-local) only with `allow_private_networks`; link-local
  (the cloud metadata address 169.254.169.254 among them), multicast, unspecified and reserved
  addresses never.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from payout_service.infrastructure.settings import Settings

MAX_URL_LENGTH = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedUrl(ValueError):
    """The URL may not be an endpoint's; the message says why, for the client."""


class RefusedAddress(OSError):
    """GuardedResolver's refusal: the host resolves to an address the policy forbids. An
    OSError, so aiohttp fails the request as unresolvable (keeping this as its os_error)."""


@dataclass(frozen=True)
class UrlPolicy:
    allow_http_loopback: bool = False
    allow_private_networks: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> UrlPolicy:
        return cls(settings.allows_http_loopback, settings.allows_private_networks)

    def check(self, url: str) -> tuple[str, int]:
        """The URL's host and port, or RefusedUrl for its shape (no resolution)."""
        if len(url) > MAX_URL_LENGTH:
            raise RefusedUrl(f"must be at most {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise RefusedUrl("is not a URL") from None
        if parts.scheme not in ("https", "http"):
            raise RefusedUrl("must be an https:// URL")
        if parts.scheme == "http" and not self.allow_http_loopback:
            raise RefusedUrl("must be an https:// URL (http:// is allowed to loopback only)")
        if parts.username is not None or parts.password is not None:
            raise RefusedUrl("must not carry credentials")
        if not parts.hostname:
            raise RefusedUrl("must name a host")
        if parts.fragment:
            raise RefusedUrl("must not have a #fragment")
        return parts.hostname, port or (443 if parts.scheme == "https" else 80)

    async def check_resolved(self, url: str) -> None:
        """RefusedUrl unless the URL's shape is allowed and every address its host resolves to
        is allowed for its scheme."""
        host, port = self.check(url)
        addresses = await resolve(host, port)
        if not addresses:
            raise RefusedUrl(f"{host} does not resolve")
        http = urlsplit(url).scheme == "http"
        for address in addresses:
            self.refuse_unless_allowed(address, http)

    def refuse_unless_allowed(self, address: Address, http: bool) -> None:
        why = self.refusal(address)
        if why is not None:
            raise RefusedUrl(f"resolves to {address}, {why}")
        if http and not address.is_loopback:
            raise RefusedUrl(f"resolves to {address}: http:// is allowed to loopback only")

    def refusal(self, address: Address) -> str | None:
        """Why deliveries may not go to the address; None when they may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return self.refusal(address.ipv4_mapped)
        if address.is_loopback:
            return None if self.allow_http_loopback else "a loopback address"
        if address.is_link_local:
            return "a link-local address (metadata services live there)"
        if address.is_multicast or address.is_unspecified or address.is_reserved:
            return "not a unicast address"
        if address.is_private or not address.is_global:
            return None if self.allow_private_networks else "a private address"
        return None


async def resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode (a..b, long labels)
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing (RefusedAddress) any host that resolves to an address the
    policy does not allow: checked at connection time, the address connected to is the address
    checked. aiohttp resolves no IP address written in a URL: check those before the request."""

    def __init__(self, policy: UrlPolicy) -> None:
        self._policy = policy
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            results = await self._resolver.resolve(host, port, family)
        except UnicodeError as error:
            raise OSError(f"{host} is not a name that resolves: {error}") from None
        for result in results:
            why = self._policy.refusal(ipaddress.ip_address(result["host"]))
            if why is not None:
                raise RefusedAddress(f"{host} resolves to {result['host']}, {why}")
        return results

    async def close(self) -> None:
        await self._resolver.close()
