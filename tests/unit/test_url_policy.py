"""Where a client's webhook endpoint may point: checked on the URL and on every address."""

import ipaddress

import pytest

from payout_service.infrastructure.outgoing_webhooks.url_policy import RefusedUrl, UrlPolicy

STRICT = UrlPolicy()
LOCAL = UrlPolicy(allow_http_loopback=True)


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.1", "192.168.1.1", "fd00::1", "127.0.0.1", "::1", "::ffff:10.0.0.1"],
)
def test_private_and_loopback_addresses_are_refused_by_default(address):
    assert STRICT.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1"])
def test_metadata_link_local_and_non_unicast_addresses_are_refused_whatever_is_allowed(address):
    everything = UrlPolicy(allow_http_loopback=True, allow_private_networks=True)
    assert everything.refusal(ipaddress.ip_address(address)) is not None


def test_loopback_is_allowed_only_by_its_switch_and_private_only_by_its_own():
    assert LOCAL.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert LOCAL.refusal(ipaddress.ip_address("10.0.0.1")) is not None
    assert UrlPolicy(allow_private_networks=True).refusal(ipaddress.ip_address("10.0.0.1")) is None
    assert STRICT.refusal(ipaddress.ip_address("93.184.216.34")) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "http://example.com/hook",
        "https://user:pw@example.com/hook",
        "https:///hook",
        "https://example.com:99999/hook",
        "https://example.com/hook#part",
    ],
)
def test_urls_of_the_wrong_shape_are_refused_before_any_lookup(url):
    with pytest.raises(RefusedUrl):
        STRICT.check(url)


async def test_a_name_that_cannot_be_encoded_is_refused_not_a_crash():
    # "a..b" and a 64-character label make IDNA raise UnicodeError, not OSError
    for url in ("https://a..b/hook", f"https://{'x' * 64}.example/hook"):
        with pytest.raises(RefusedUrl, match="does not resolve"):
            await STRICT.check_resolved(url)


async def test_http_to_loopback_is_accepted_when_allowed():
    await LOCAL.check_resolved("http://127.0.0.1:9/hook")
    with pytest.raises(RefusedUrl):
        await STRICT.check_resolved("http://127.0.0.1:9/hook")
