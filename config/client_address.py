"""The client's address, for django-axes' lockout (AXES_CLIENT_IP_CALLABLE; docs/deploy.md).

Behind ``PROXY_COUNT`` proxies that each append the address they were reached from to
``X-Forwarded-For``, the client is the ``PROXY_COUNT``-th field from the right; anything
further left was written by the client and is not believed. The header is split on every
comma, as the proxies write it: django-ipware 8 reads it as RFC 7239 text, where a double
quote opens a quoted string, so a client that sent ``192.0.2.1, "`` had the proxy's
appended address swallowed into that string and was taken to be 192.0.2.1: any address it
liked, as many guesses as it liked, and a way to lock out someone else's address.

With no proxy the header is ignored (anyone can write it) and the address is the
connection's. A field that is not an address gives no address (None): behind a proxy that
appends, it cannot happen.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The address django-axes counts failed sign-ins against."""
    count = settings.PROXY_COUNT
    if not count:
        return request.META.get("REMOTE_ADDR") or None
    fields = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(fields) < count:
        return None
    try:
        address = ipaddress.ip_address(fields[-count].strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)
