"""The client's address, for throttles and the audit trail.

It is the connection's peer. Behind a reverse proxy listed in MOTCUA_TRUSTED_PROXIES it is the right-most
X-Forwarded-For entry that is not itself such a proxy (each proxy appends the address it saw, so entries to
the left of it were written by the client and prove nothing). From anyone else the header is ignored.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from flask import request

from .services import services

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def proxy_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def client_address() -> str:
    peer = request.remote_addr or "unknown"
    networks = proxy_networks(services().settings.trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("X-Forwarded-For")).split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:  # a proxy wrote garbage: the proxy is all we know
            return peer
        if not _trusted(hop, networks):
            return hop
    return peer
