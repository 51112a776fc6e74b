"""Fixtures of the client library tests: a real HTTP session and a client, no Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.api.semysms import SemySmsClient
from tests.api.canned import CannedGateway
from tests.api.semysms_helpers import TOKEN, CannedSemySms
from tests.api.webhook_catcher import WebhookCatcher
from tests.simulator import GatewaySimulator
from tests.simulator.fixtures import (  # noqa: F401 - the library's tests use them too
    API_KEY,
    certificate,
    simulator,
    tls_simulator,
)
from tests.simulator.semysms import SemySmsSimulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the repository-wide fixture: these tests start no Home Assistant."""


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Return a real HTTP session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(session: aiohttp.ClientSession, simulator: GatewaySimulator) -> SmsGatewayClient:
    """Return a client of the simulator's account."""
    return SmsGatewayClient(session, simulator.url, API_KEY)


@pytest.fixture
async def canned() -> AsyncGenerator[CannedGateway]:
    """Run a canned gateway."""
    server = CannedGateway()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def semysms() -> AsyncGenerator[SemySmsSimulator]:
    """Run a SemySMS simulator on a free loopback port."""
    sim = SemySmsSimulator(token=TOKEN)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def semy(session: aiohttp.ClientSession, semysms: SemySmsSimulator) -> SemySmsClient:
    """Return a client of the simulator's account."""
    return SemySmsClient(session, TOKEN, url=semysms.url)


@pytest.fixture
async def catcher() -> AsyncGenerator[WebhookCatcher]:
    """Run a webhook catcher."""
    server = WebhookCatcher()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def canned_semysms() -> AsyncGenerator[CannedSemySms]:
    """Run a canned SemySMS server."""
    server = CannedSemySms()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
