"""The simulator's fixtures, shared by the integration's tests and the library's (which run
without Home Assistant): a gateway simulator, and one serving HTTPS with a self-signed
certificate.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

from tests.simulator import GatewaySimulator
from tests.simulator.tls import server_context, write_self_signed_certificate

API_KEY = "test-api-key-0123456789"  # the simulated account's key


@pytest.fixture
async def simulator() -> AsyncGenerator[GatewaySimulator]:
    """Run a gateway simulator on a free loopback port."""
    sim = GatewaySimulator(api_key=API_KEY)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """Return a new self-signed certificate for 127.0.0.1 and its key (paths)."""
    return write_self_signed_certificate(tmp_path)


@pytest.fixture
async def tls_simulator(certificate: tuple[Path, Path]) -> AsyncGenerator[GatewaySimulator]:
    """Run a gateway simulator serving HTTPS with the self-signed ``certificate``."""
    sim = GatewaySimulator(api_key=API_KEY)
    await sim.start(ssl_context=server_context(*certificate))
    try:
        yield sim
    finally:
        await sim.stop()
