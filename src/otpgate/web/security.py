"""Request-level security: the client address behind trusted proxies, bearer tokens, limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Network, IPv6Network

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Network = IPv4Network | IPv6Network


def parse_networks(items: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client address: the peer, unless the peer is a trusted proxy.

    Then ``X-Forwarded-For`` is read from the right, skipping trusted proxies; the first
    address we don't trust is the client. Anything left of it could be forged by the client.
    """
    if not peer:
        return "unknown"
    if not trusted or not _is_trusted(peer, trusted) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _valid_ip(hop) else peer
    return hops[0] if hops and _valid_ip(hops[0]) else peer


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


# A proxy on this machine connects from loopback for every caller on the internet; these
# headers say a request came through one.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_loopback_peer(peer: str | None, headers: Mapping[str, str]) -> bool:
    """Whether the caller is on this machine: the socket peer is a loopback address (never
    ``X-Forwarded-For`` or ``Host``, which any caller can write) and no proxy forwarded it.

    Development pages (``/dev/sms`` shows every code sent) are served only to such callers.
    """
    if not peer or any(name in headers for name in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def is_loopback_host(host: str) -> bool:
    """Whether listening on ``host`` (``otpgate serve --host``) keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether or not Content-Length says so."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    await _send_413(send)
                    return
        # Bodies here are small JSON or forms: read them whole (bounded), then replay. Raising
        # from inside ``receive`` instead would be swallowed by the framework's body parser.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_413(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send_413(send: Send) -> None:
    from otpgate.web.problems import problem

    detail = "The request body is too large."
    body = bytes(problem(413, "payload_too_large", "Request too large", detail).body)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
