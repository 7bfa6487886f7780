"""An HTTP POST that cannot be pointed inside: for webhooks (outside addresses chosen by users).

- Only global addresses (`ipaddress` `is_global`: not loopback, private, link-local, carrier-
  grade NAT 100.64.0.0/10, 192.0.0.0/24, documentation, reserved ...) plus explicitly allowed
  networks; an IPv4 address inside IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4,
  Teredo) is judged by that IPv4 address.
- The name is resolved once; every address it gives must pass (a name that resolves to a
  public and a private address is refused), and the connection dials the checked address
  itself, so a second answer of the DNS (rebinding) is never used. The Host header, the TLS
  server name and the certificate check are those of the URL's host.
- Redirects are never followed (http.client follows none: a 3xx is the answer).
- The answer is read up to `max_bytes`, and the whole exchange ends after `timeout` seconds.

No Flask here: the caller passes its settings (incubator/api/webhooks.py).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Special-purpose blocks (IANA registries) that some Python versions call global although
# nothing of ours should be posted there: the whole IETF protocol block (192.0.0.8 is global
# for Python 3.11.7), the old 6to4 relay anycast, NAT64 local use.
NOT_GLOBAL = (
    ipaddress.IPv4Network("192.0.0.0/24"),
    ipaddress.IPv4Network("192.88.99.0/24"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


class UnsafeUrl(Exception):
    """Refused before any connection; `code` says why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code  # invalid_url, unknown_host, private_address


@dataclass(frozen=True)
class Target:
    """A URL checked: its scheme, host (as written), port, request path and the addresses
    its host resolved to, each allowed."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """Networks from "10.1.0.0/16, fd00::/8" (or a list of such strings)."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_allowed(address: str | IPAddress, allowed: Sequence[Network] = ()) -> bool:
    """True for a global unicast address, or one inside an explicitly allowed network."""
    ip = ipaddress.ip_address(str(address).split("%")[0])
    if any(ip.version == net.version and ip in net for net in allowed):
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_allowed(inner, allowed)
    if any(ip.version == net.version and ip in net for net in NOT_GLOBAL):
        return False
    return ip.is_global and not ip.is_multicast


def resolve(url: str, allowed: Sequence[Network] = (), allow_any: bool = False) -> Target:
    """Check `url` and resolve its host once; raises UnsafeUrl without connecting anywhere."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise UnsafeUrl("invalid_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(
            parts.hostname, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, ValueError, UnicodeError) as error:
        raise UnsafeUrl("unknown_host", str(error)) from error
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeUrl("unknown_host")
    if not allow_any:
        refused = [a for a in addresses if not address_allowed(a, allowed)]
        if refused:
            raise UnsafeUrl("private_address", ", ".join(refused))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses)


def dial(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to the IP address itself (no name lookup on the way)."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Speaks to `host` (Host header) but dials the checked `address`."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = dial(self.address, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked `address`, with the URL's host as server name and certificate name."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls_context = context

    def connect(self) -> None:
        raw = dial(self.address, self.port, self.timeout)
        try:
            self.sock = self.tls_context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def connection(
    target: Target, address: str, timeout: float, context: ssl.SSLContext | None = None
) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(
            target.host, target.port, address, timeout, context or ssl.create_default_context()
        )
    return _PinnedHTTPConnection(target.host, target.port, address, timeout)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allowed: Sequence[Network] = (),
    allow_any: bool = False,
    timeout: float = 10,
    max_bytes: int = 2000,
    context: ssl.SSLContext | None = None,
) -> tuple[int, bytes]:
    """(status, at most `max_bytes` of the answer's body). Raises UnsafeUrl before connecting
    for a refused URL, OSError / http.client.HTTPException for network failures. A redirect
    is returned as it is (3xx), never followed."""
    target = resolve(url, allowed, allow_any)
    deadline = time.monotonic() + timeout
    error: Exception | None = None
    for address in target.addresses:  # each was checked; the first that answers
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        conn = connection(target, address, remaining, context)
        # the whole exchange, however slowly the other side drips, ends at the deadline
        cut = threading.Event()
        watchdog = threading.Timer(remaining, _abort, (conn, cut))
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("POST", target.path, body=body, headers=headers)
            answer = conn.getresponse()
            status, text = answer.status, answer.read(max_bytes)
            if cut.is_set():  # what was read before the cut is not an answer
                raise TimeoutError("the receiver took too long")
            return status, text
        except (OSError, http.client.HTTPException) as failure:
            error = failure
            if cut.is_set() or time.monotonic() >= deadline:
                raise TimeoutError("the receiver took too long") from failure
        finally:
            watchdog.cancel()
            conn.close()
    if error is not None:
        raise error
    raise TimeoutError("the receiver took too long")


def _abort(conn: http.client.HTTPConnection, cut: threading.Event) -> None:
    cut.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
