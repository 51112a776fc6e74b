"""The client over HTTPS against the simulator serving a self-signed certificate.

The library never decides whether to verify certificates: the session it is given does. It
only has to tell a refused certificate apart from a server that cannot be reached.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

import aiohttp
import pytest

from custom_components.sms_bridge.api import (
    ConnectionErrorKind,
    GatewayCertificateError,
    GatewayConnectionError,
    SendRequest,
)
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from tests.api.conftest import API_KEY
from tests.simulator import GatewaySimulator
from tests.simulator.tls import client_context, server_context, write_self_signed_certificate


@pytest.fixture
async def unverified() -> AsyncGenerator[aiohttp.ClientSession]:
    """Return a session that does not verify certificates."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
        yield session


async def test_self_signed_certificate_is_refused_with_its_own_error(
    session: aiohttp.ClientSession, tls_simulator: GatewaySimulator
) -> None:
    """A verifying session refuses the certificate: a certificate error, and nothing was sent."""
    client = SmsGatewayClient(session, tls_simulator.url, API_KEY)
    for call in (client.phones, lambda: client.send(SendRequest(("+15550100",), "x"))):
        with pytest.raises(GatewayCertificateError) as err:
            await call()
        # Still a connection error for callers that only know those, and safe to retry.
        assert isinstance(err.value, GatewayConnectionError)
        assert err.value.request_sent is False
        assert err.value.kind is ConnectionErrorKind.TLS
        assert "self-signed" in err.value.reason.replace("self signed", "self-signed")
        assert str(err.value) == f"Certificate verification failed: {err.value.reason}"
        assert API_KEY not in str(err.value)
    assert tls_simulator.requests == []
    assert tls_simulator.messages == {}


async def test_unverified_session_talks_over_tls(
    unverified: aiohttp.ClientSession, tls_simulator: GatewaySimulator
) -> None:
    """Without verification the same server answers, and a message reaches it over TLS."""
    assert tls_simulator.url.startswith("https://")
    client = SmsGatewayClient(unverified, tls_simulator.url, API_KEY)
    assert (await client.account()).credits == 100
    (message,) = await client.send(SendRequest(("+15550100",), "over TLS"))
    assert tls_simulator.messages[message.id]["message"] == "over TLS"


async def test_trusted_certificate_is_accepted(
    tls_simulator: GatewaySimulator, certificate: tuple[Path, Path]
) -> None:
    """A session that trusts the certificate verifies it: it is a valid one for 127.0.0.1."""
    connector = aiohttp.TCPConnector(ssl=client_context(certificate[0]))
    async with aiohttp.ClientSession(connector=connector) as session:
        client = SmsGatewayClient(session, tls_simulator.url, API_KEY)
        assert [phone.id for phone in await client.phones()] == ["1", "2"]


async def test_certificate_for_another_name(tmp_path: Path) -> None:
    """A trusted certificate issued for another host name is refused, and the reason says so."""
    cert, key = write_self_signed_certificate(tmp_path, ("sms.example.com",))
    simulator = GatewaySimulator(api_key=API_KEY)
    await simulator.start(ssl_context=server_context(cert, key))
    try:
        connector = aiohttp.TCPConnector(ssl=client_context(cert))
        async with aiohttp.ClientSession(connector=connector) as session:
            client = SmsGatewayClient(session, simulator.url, API_KEY)
            with pytest.raises(GatewayCertificateError) as err:
                await client.account()
    finally:
        await simulator.stop()
    assert "mismatch" in err.value.reason.lower()
    assert simulator.requests == []
