"""HTTPS for the simulator, with a self-signed certificate made on the spot, like a home server.

    cert, key = write_self_signed_certificate(directory)
    await sim.start(ssl_context=server_context(cert, key))   # sim.url == "https://127.0.0.1:<port>"

Clients that verify certificates refuse it (it is signed by nobody they trust), unless they
trust the certificate itself: `client_context(cert)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import ipaddress
from pathlib import Path
import ssl
from typing import cast

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEFAULT_HOSTS = ("127.0.0.1", "localhost")
VALIDITY = timedelta(days=30)


def write_self_signed_certificate(
    directory: Path, hosts: tuple[str, ...] = DEFAULT_HOSTS
) -> tuple[Path, Path]:
    """Write a new key and a certificate valid for ``hosts``; return (certificate, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.now(UTC)
    names = x509.SubjectAlternativeName([_general_name(host) for host in hosts])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(names, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "simulator.crt"
    key_path = directory / "simulator.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """Return the TLS context of a server presenting this certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


def client_context(cert_path: Path) -> ssl.SSLContext:
    """Return a verifying client context that trusts this one certificate."""
    return ssl.create_default_context(cafile=cert_path)


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


class TlsSite(web.BaseSite):
    """`web.TCPSite` with TLS, where a client refusing the certificate is no server error.

    With `TCPSite(ssl_context=...)` asyncio reports each handshake a client aborts to the event
    loop's exception handler (in debug mode, as under the Home Assistant test plugin, which then
    fails the test). Here each connection does its handshake with `loop.start_tls` instead, so
    a refused certificate just closes that connection.
    """

    __slots__ = ("_handshakes", "_host", "_port")

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, ssl_context: ssl.SSLContext
    ) -> None:
        """Prepare a site on `host`:`port` (0 = a free port)."""
        super().__init__(runner, ssl_context=ssl_context)
        self._host = host
        self._port = port
        self._handshakes: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        """Return the site's URL."""
        return f"https://{self._host}:{self._port}"

    async def start(self) -> None:
        """Listen."""
        await super().start()
        server = self._runner.server
        context = self._ssl_context
        assert server is not None
        assert context is not None
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Handshake(server, context, self._handshakes), self._host, self._port
        )

    async def stop(self) -> None:
        """Stop listening and drop the handshakes in progress."""
        for task in self._handshakes:
            task.cancel()
        await super().stop()


class _Handshake(asyncio.Protocol):
    """Do the TLS handshake of one connection, then hand it to the HTTP server."""

    def __init__(
        self,
        http_protocol: Callable[[], asyncio.Protocol],
        context: ssl.SSLContext,
        tasks: set[asyncio.Task[None]],
    ) -> None:
        self._http_protocol = http_protocol
        self._context = context
        self._tasks = tasks
        self._early: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        transport.pause_reading()  # the handshake reads first
        task = asyncio.get_running_loop().create_task(self._handshake(transport))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def data_received(self, data: bytes) -> None:
        # The request may come right after the handshake, before the HTTP server takes over.
        self._early.append(data)

    async def _handshake(self, transport: asyncio.Transport) -> None:
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(transport, self, self._context, server_side=True)
        except (OSError, TimeoutError):  # the client refused the certificate, or went away
            transport.close()
            return
        if tls is None:  # the connection closed as the handshake ended
            return
        http = self._http_protocol()
        tls.set_protocol(http)
        http.connection_made(tls)
        for data in self._early:
            http.data_received(data)
