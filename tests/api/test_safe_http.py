"""Webhooks cannot reach inside: only global addresses (plus WEBHOOK_ALLOWED_NETWORKS), checked
when a receiver is added and again when it is sent to, the name resolved once and the
connection made to the address checked, redirects never followed, answers limited in size
and time. The refusals are checked without connecting anywhere (the resolver is replaced,
and dialling fails the test if attempted); the one positive exchange posts to a
loopback receiver with WEBHOOK_ALLOW_PRIVATE on. No test sends traffic beyond loopback."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from incubator.accounts.models import User
from incubator.api import safe_http, webhooks
from incubator.errors import DomainError
from tests.conftest import app_session

INSIDE = [
    "100.100.100.200",  # Alibaba Cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "100.127.255.254",
    "192.0.0.8",  # IETF protocol assignments
    "169.254.169.254",  # cloud metadata (link-local)
    "169.254.0.1",
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",  # noqa: S104 (an address refused, not bound)
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "240.0.0.1",  # reserved
    "224.0.0.1",  # multicast
    "::1",
    "::",
    "fe80::1",  # link-local
    "fd00::1",  # unique local (ULA)
    "fc00::abcd",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:100.100.100.200",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:db8::1",  # documentation
]
LOOPBACK_NOTATIONS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://localhost/",
    "http://0/",
]


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to connect fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(safe_http, "dial", refuse)


def _resolver(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> list[str]:
    """Names resolve to `table`'s addresses; the names asked are returned in a list."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize("address", INSIDE)
def test_no_inside_address_is_allowed(address: str) -> None:
    assert not safe_http.address_allowed(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700::1111"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert safe_http.address_allowed(address)


def test_an_allowed_network_lets_its_addresses_through() -> None:
    allowed = safe_http.parse_networks("10.20.0.0/16, fd00:1::/64")
    assert safe_http.address_allowed("10.20.3.4", allowed)
    assert safe_http.address_allowed("fd00:1::5", allowed)
    assert not safe_http.address_allowed("10.21.0.1", allowed)
    assert not safe_http.address_allowed("127.0.0.1", allowed)


def _add(app: Flask, manager: User, url: str) -> str:
    """Register a receiver (rolled back afterwards); the URL it was registered with."""
    with app_session(app) as session:
        actor = session.get(User, manager.id)
        try:
            return webhooks.add_webhook(
                actor,
                actor.managed_center_id,
                webhooks.WebhookData(url, ["fablab.booking_created"]),
            ).url
        finally:
            session.rollback()


@pytest.mark.parametrize("address", INSIDE)
def test_a_name_resolving_inside_is_refused_at_registration(
    app: Flask, manager_of: Any, monkeypatch: pytest.MonkeyPatch, no_connection: None, address: str
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    _resolver(monkeypatch, {"hooks.example.com": [address]})
    with pytest.raises(DomainError) as refused:
        _add(app, manager_of("BIIC"), "https://hooks.example.com/in")
    assert refused.value.code == "private_address"
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "url",
    [
        "http://100.100.100.200/latest/meta-data/",
        "http://100.64.0.1/",
        "http://100.127.255.254/",
        "http://192.0.0.8/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        *LOOPBACK_NOTATIONS,
    ],
)
def test_inside_addresses_written_in_the_url_are_refused(
    app: Flask, manager_of: Any, no_connection: None, url: str
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    with pytest.raises(DomainError) as refused:
        _add(app, manager_of("BIIC"), url)
    assert refused.value.code in ("private_address", "unknown_host"), url


def test_a_name_with_a_public_and_a_private_address_is_refused(
    app: Flask, manager_of: Any, monkeypatch: pytest.MonkeyPatch, no_connection: None
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    _resolver(monkeypatch, {"twice.example.com": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(DomainError) as refused:
        _add(app, manager_of("BIIC"), "https://twice.example.com/hook")
    assert refused.value.code == "private_address"
    with pytest.raises(safe_http.UnsafeUrl):
        safe_http.post("https://twice.example.com/hook", b"{}", {})


def test_an_allowed_network_is_accepted_at_registration(
    app: Flask, manager_of: Any, monkeypatch: pytest.MonkeyPatch, no_connection: None
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "10.20.0.0/16"
    _resolver(monkeypatch, {"erp.internal": ["10.20.0.9"]})
    assert _add(app, manager_of("BIIC"), "http://erp.internal/hook") == "http://erp.internal/hook"


def test_a_name_that_turns_private_after_registration_is_not_sent_to(
    app: Flask,
    manager_of: Any,
    make_application: Any,
    monkeypatch: pytest.MonkeyPatch,
    no_connection: None,
) -> None:
    """DNS rebinding: public when added, private when sent; the delivery fails unsent."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    table = {"rebind.example.com": ["93.184.216.34"]}
    asked = _resolver(monkeypatch, table)
    manager = manager_of("BIIC")
    with app_session(app) as session:
        actor = session.get(User, manager.id)
        webhooks.add_webhook(
            actor,
            actor.managed_center_id,
            webhooks.WebhookData("http://rebind.example.com/hook", ["fablab.booking_created"]),
        )
        session.commit()
    table["rebind.example.com"] = ["169.254.169.254"]
    with app_session(app) as session:
        hook = session.scalar(webhooks.select(webhooks.Webhook))
        webhooks.emit(hook.center_id, webhooks.WebhookEvent.BOOKING_CREATED, {"x": 1})
        session.commit()
    with app.app_context():
        delivered, failed = webhooks.deliver_webhooks(webhooks.utcnow())
    assert (delivered, failed) == (0, 1)
    assert asked.count("rebind.example.com") == 2  # once when added, once when sent
    with app_session(app) as session:
        delivery = session.scalar(webhooks.select(webhooks.WebhookDelivery))
        assert "private network" in delivery.last_response or delivery.last_response


class _Server:
    """A loopback HTTP server answering each POST with `reply(handler)`."""

    def __init__(self, reply: Any) -> None:
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(dict(self.headers))
                reply(self)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[_Server] = []

    def start(reply: Any) -> _Server:
        servers.append(_Server(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_the_connection_goes_to_the_checked_address_with_the_urls_host(
    monkeypatch: pytest.MonkeyPatch, serve: Any
) -> None:
    """The name resolves once (to loopback, allowed explicitly); the Host header is the name's."""

    def ok(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(204)
        handler.end_headers()

    server = serve(ok)
    asked = _resolver(monkeypatch, {"receiver.example.com": ["127.0.0.1"]})
    allowed = safe_http.parse_networks("127.0.0.1/32")
    status, _ = safe_http.post(
        f"http://receiver.example.com:{server.port}/hook?a=1", b"{}", {}, allowed=allowed
    )
    assert status == 204
    assert asked == ["receiver.example.com"]  # resolved once, never again to connect
    assert server.requests[0]["Host"] == f"receiver.example.com:{server.port}"


def test_https_wraps_with_the_urls_host_as_server_name(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class Context(ssl.SSLContext):
        def wrap_socket(self, sock: Any, *args: Any, server_hostname: Any = None, **kw: Any) -> Any:
            seen["server_hostname"] = server_hostname
            seen["peer"] = sock
            raise OSError("stop before any TLS")

    class Sock:
        def close(self) -> None:
            seen["closed"] = True

    def dial(address: str, port: int, timeout: float) -> Sock:
        seen["address"] = (address, port)
        return Sock()

    _resolver(monkeypatch, {"secure.example.com": ["93.184.216.34"]})
    monkeypatch.setattr(safe_http, "dial", dial)
    with pytest.raises(OSError, match="stop before any TLS"):
        context = Context(ssl.PROTOCOL_TLS_CLIENT)
        safe_http.post("https://secure.example.com/hook", b"{}", {}, context=context)
    assert seen["address"] == ("93.184.216.34", 443)  # the checked address, never the name
    assert seen["server_hostname"] == "secure.example.com"
    assert seen["closed"]


def test_a_redirect_is_not_followed(app: Flask, serve: Any) -> None:
    def moved(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(307)
        handler.send_header("Location", f"http://127.0.0.1:{handler.server.server_address[1]}/x")
        handler.end_headers()

    server = serve(moved)
    status, _ = safe_http.post(f"http://127.0.0.1:{server.port}/hook", b"{}", {}, allow_any=True)
    assert status == 307
    assert len(server.requests) == 1


def test_the_answer_is_read_up_to_the_limit(serve: Any) -> None:
    def big(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(10_000_000))
        handler.end_headers()
        with contextlib.suppress(OSError):
            handler.wfile.write(b"x" * 100_000)

    server = serve(big)
    status, answer = safe_http.post(
        f"http://127.0.0.1:{server.port}/", b"{}", {}, allow_any=True, max_bytes=2000
    )
    assert status == 200
    assert len(answer) == 2000


def test_a_receiver_that_drips_is_cut_at_the_deadline(serve: Any) -> None:
    stop = threading.Event()

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):  # a header line every 0.1 s: each read is quick, the whole is not
            if stop.wait(0.1):
                return
            try:
                handler.wfile.write(b"X-Slow: 1\r\n")
                handler.wfile.flush()
            except OSError:
                return

    server = serve(drip)
    started = time.monotonic()
    try:
        with pytest.raises((OSError, safe_http.http.client.HTTPException)):
            safe_http.post(f"http://127.0.0.1:{server.port}/", b"{}", {}, allow_any=True, timeout=1)
    finally:
        stop.set()
    assert time.monotonic() - started < 5
