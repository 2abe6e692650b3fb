"""Where a webhook may be sent: https only, and never to the service's own networks.

OWASP's SSRF advice: check the scheme, resolve the name and refuse loopback,
private, link-local, multicast, reserved and unspecified addresses, both when
the URL is registered and again when each connection is opened (the name may
resolve elsewhere by then: DNS rebinding), and follow no redirects.
``WEBHOOK_ALLOW_HTTP`` and ``WEBHOOK_ALLOW_PRIVATE`` lift the rules for
development and tests only.
"""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(Exception):
    """The URL or the address it resolves to may not receive webhooks; the message says why."""


def address_refusal(address: str) -> str | None:
    """Why this IP address may not receive webhooks; None when it may."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return None
    for kind, flag in (("loopback", ip.is_loopback), ("private", ip.is_private),
                       ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                       ("reserved", ip.is_reserved), ("unspecified", ip.is_unspecified)):
        if flag:
            return f"{address} is a {kind} address."
    if not ip.is_global:
        return f"{address} is not a public address."
    return None


def url_check(url: str) -> None:
    """Raise ``UnsafeUrl`` unless the URL's scheme is allowed and its host has only public addresses."""
    parts = urlsplit(url)
    allowed = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed:
        raise UnsafeUrl("The URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("The URL must not carry a user name or password.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("The URL's port is not valid.") from None
    resolve(parts.hostname, port)


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, every one allowed; ``UnsafeUrl`` if it resolves to none or to a refused one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if (why := address_refusal(address)) is not None:
            raise UnsafeUrl(f"The host {host} resolves to a refused address: {why}")
    if not addresses:
        raise UnsafeUrl(f"The host {host} does not resolve.")
    return addresses
