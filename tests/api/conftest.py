"""Fixtures of the client library tests: a real HTTP session and a client, no Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from tests.api.canned import CannedGateway
from tests.simulator import GatewaySimulator

API_KEY = "test-api-key-0123456789"  # the simulated account's key


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
